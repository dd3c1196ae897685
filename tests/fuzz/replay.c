/* Replays a corpus through one fuzz target without libFuzzer: link it with
 * a target object instead of -fsanitize=fuzzer.  Arguments are directories
 * (every regular file in them, sorted) or single files.  Each input runs in
 * a child process so one crash does not hide the others and the summary
 * can name every crashing file; with FUZZ_REPLAY_NOFORK=1 they run in this
 * process instead (for a debugger).  Exit status: 0 when nothing crashed. */
#include <dirent.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int no_fork;

/* Run one file; returns 1 if it crashed (or could not be read). */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return 1; }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) { perror("realloc"); exit(2); }
            buf = grown;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    int failed = ferror(f);
    fclose(f);
    if (failed) { perror(path); free(buf); return 1; }

    /* Copy into an exactly-sized block, as libFuzzer does, so ASan sees
     * any read past the end of the input. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) { perror("malloc"); exit(2); }
    memcpy(exact, buf, len);
    free(buf);

    int crashed = 0;
    if (no_fork) {
        LLVMFuzzerTestOneInput(exact, len);
    } else {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); exit(2); }
        if (pid == 0) {
            LLVMFuzzerTestOneInput(exact, len);
            exit(0);  /* not _exit: LeakSanitizer checks at exit */
        }
        int status;
        if (waitpid(pid, &status, 0) < 0) { perror("waitpid"); exit(2); }
        crashed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (crashed) fprintf(stderr, "CRASH: %s\n", path);
    }
    free(exact);
    return crashed;
}

int main(int argc, char **argv)
{
    const char *name = basename(argv[0]);
    const char *nf = getenv("FUZZ_REPLAY_NOFORK");
    no_fork = nf && *nf && strcmp(nf, "0") != 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", name);
        return 2;
    }
    long inputs = 0, crashes = 0;
    for (int a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) != 0) { perror(argv[a]); return 2; }
        if (!S_ISDIR(st.st_mode)) {
            inputs++;
            crashes += run_file(argv[a]);
            continue;
        }
        struct dirent **list;
        /* Sorted, so runs are repeatable (no setlocale: byte order). */
        int count = scandir(argv[a], &list, NULL, alphasort);
        if (count < 0) { perror(argv[a]); return 2; }
        for (int i = 0; i < count; i++) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[a], list[i]->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                inputs++;
                crashes += run_file(path);
            }
            free(list[i]);
        }
        free(list);
    }
    printf("fuzz replay %s: %ld inputs, %ld crashes\n", name, inputs, crashes);
    return crashes ? 1 : 0;
}
