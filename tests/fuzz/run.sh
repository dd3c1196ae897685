#!/bin/bash
# Fuzz targets for the core's hostile-input surfaces.
#
#   tests/fuzz/run.sh replay         every target over its committed corpus, built with gcc,
#                                    ASan and UBSan and replay.c as main; exit 1 on any crash
#   tests/fuzz/run.sh fuzz SECONDS   every target under libFuzzer (clang) for SECONDS each;
#                                    new inputs and crashes go to tests/fuzz/.scratch/TARGET/,
#                                    never into the committed corpus
#
# A target is any tests/fuzz/fuzz_*.c that defines LLVMFuzzerTestOneInput; its
# seeds are tests/fuzz/corpus/TARGET/.  The core sources are compiled here with
# the same instrumentation as the target (a prebuilt libhabcore.a would be
# blind to the sanitizers and, under libFuzzer, to coverage).
set -euo pipefail
cd "$(dirname "$0")/../.."

FUZZ=tests/fuzz
OUT=$FUZZ/.build
SCRATCH=$FUZZ/.scratch
# Only what the targets call: no SQLite, no generated schema.
CORE="base/error base/json_io base/form base/ldap_text domain/router base/crypto base/html base/csv base/text web/multipart domain/evidence_type"
BASE_FLAGS="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -Iinclude -Imod_habitual/core $(apr-1-config --includes --cppflags)"
LIBS="$(apr-1-config --link-ld) -ljansson -lsqlite3 -lcrypto"
TARGETS=$(grep -l '^int LLVMFuzzerTestOneInput' $FUZZ/fuzz_*.c | xargs -n1 basename | sed 's/\.c$//')

# build DIR CC CORE_FLAGS TARGET_FLAGS [EXTRA_OBJ_SRC]: core objects, then one binary per target.
build() {
    local dir=$1 cc=$2 core_flags=$3 target_flags=$4 main=${5:-}
    rm -rf "$dir" && mkdir -p "$dir/obj"
    local objs=()
    for c in $CORE; do
        local o="$dir/obj/$(basename $c).o"
        $cc $BASE_FLAGS $core_flags -c mod_habitual/core/$c.c -o "$o"
        objs+=("$o")
    done
    for t in $TARGETS; do
        $cc $BASE_FLAGS $target_flags $FUZZ/$t.c $main "${objs[@]}" $LIBS -o "$dir/$t"
    done
}

replay() {
    local san="-O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    build $OUT/replay gcc "$san" "$san" $FUZZ/replay.c
    local status=0 inputs=0 crashes=0 line
    for t in $TARGETS; do
        [ -d $FUZZ/corpus/$t ] || { echo "fuzz replay $t: no corpus/$t"; status=1; continue; }
        set +e
        line=$(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
            $OUT/replay/$t $FUZZ/corpus/$t)
        [ $? = 0 ] || status=1
        set -e
        echo "$line"
        read -r n k < <(sed -E 's/.*: ([0-9]+) inputs, ([0-9]+) crashes/\1 \2/' <<<"$line")
        inputs=$((inputs + ${n:-0})); crashes=$((crashes + ${k:-1}))
    done
    echo "fuzz replay: $(wc -w <<<"$TARGETS") targets, $inputs inputs, $crashes crashes"
    return $status
}

# libFuzzer needs clang and its runtime (Debian: clang, libclang-rt-14-dev).
need_clang() {
    if command -v clang >/dev/null &&
        [ -e "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then return 0; fi
    if [ "$(id -u)" = 0 ]; then
        apt-get update -q && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
    else
        echo "fuzz: needs clang and libFuzzer; as root: apt-get install clang libclang-rt-14-dev" >&2
        exit 2
    fi
}

fuzz() {
    local seconds=$1 status=0
    need_clang
    build $OUT/fuzz clang "-O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
        "-O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
    for t in $TARGETS; do
        local work=$SCRATCH/$t
        mkdir -p $work/corpus
        rm -f $work/crash-* $work/leak-* $work/timeout-* $work/oom-*
        local dict=()
        [ -f $FUZZ/$t.dict ] && dict=(-dict=$FUZZ/$t.dict)
        # The first corpus directory receives new inputs: the scratch one.
        # -keep_seed: jansson is not instrumented, so without it libFuzzer
        # would drop every JSON seed that adds no coverage in our own code.
        set +e
        $OUT/fuzz/$t -max_total_time="$seconds" -timeout=10 -print_final_stats=1 -keep_seed=1 "${dict[@]}" \
            -artifact_prefix=$work/ $work/corpus $FUZZ/corpus/$t >$work/log 2>&1
        local rc=$?
        set -e
        local execs rate added found
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' $work/log)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' $work/log)
        added=$(sed -n 's/^stat::new_units_added: *//p' $work/log)
        found=$(shopt -s nullglob; echo $work/crash-* $work/leak-* $work/timeout-* $work/oom-*)
        echo "fuzz $t: ${seconds}s, ${execs:-?} execs, ${rate:-?} exec/s, ${added:-?} new inputs," \
            "$([ -n "$found" ] && echo "FOUND $found" || echo "no crash") (log $work/log)"
        if [ $rc != 0 ] || [ -n "$found" ]; then status=1; fi
    done
    return $status
}

case "${1:-}" in
    replay) replay ;;
    fuzz) [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "usage: $0 fuzz SECONDS" >&2; exit 2; }; fuzz "$2" ;;
    *) echo "usage: $0 replay | fuzz SECONDS" >&2; exit 2 ;;
esac
