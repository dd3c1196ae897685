/* Letters generated from the case (R11): text in, escaped HTML out.  The
 * body is an HTML fragment stored once and never changed; each part a
 * decision letter must state is a <section data-part="..."> so R11 can
 * check it is there before the letter is issued. */
#ifndef HABITUAL_LETTERS_H
#define HABITUAL_LETTERS_H

#include <apr_pools.h>
#include <jansson.h>

#include "habitual/domain/casefile.h"
#include "habitual/domain/rules.h"

typedef struct hab_letter {
    const char *kind;          /* warning, decision, review-outcome, appeal-outcome */
    const char *subject;
    const char *body;          /* HTML fragment */
    json_t *copied_to;         /* ["Name (role)", ...] */
} hab_letter_t;

/* What the letters need beyond the case itself. */
typedef struct hab_letter_facts {
    const char *council;       /* HabitualCouncilName */
    const char *date;          /* date of issue */
    const char *signed_as;     /* "Chief Executive", "Monitoring Officer (deputising ...)" */
    const char *outcome;       /* review or appeal outcome */
    const char *reasons;
    const json_t *restrictions;/* those now in force */
    const hab_contact_plan_t *plan;
    const char *period_start, *period_end, *review_due;
    int appeal_days;           /* working days */
    const char *warning_on, *warning_method, *warning_text;
    /* R15: an interim restriction's letters */
    const char *interim_until; /* its last day, or NULL: until the chief executive decides */
    const char *lift_reason;   /* why the CEM lifted it early */
    const char *received_on, *received_channel; /* the post queue's acknowledgement */
} hab_letter_facts_t;

hab_letter_t *hab_letter_warning(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f);
hab_letter_t *hab_letter_decision(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f);
hab_letter_t *hab_letter_review(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f);
hab_letter_t *hab_letter_appeal(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f);

/* R15: the interim restriction (written-only, after violence) and its
 * early lifting; kinds "interim" and "interim-lifted".  f->restrictions,
 * f->plan and f->interim_until describe the interim restriction. */
hab_letter_t *hab_letter_interim(apr_pool_t *p, const hab_case_t *c, const hab_letter_facts_t *f);
hab_letter_t *hab_letter_interim_lifted(apr_pool_t *p, const hab_case_t *c,
                                        const hab_letter_facts_t *f);
/* What an interim letter must state (R11's part check): what is restricted,
 * that it is temporary, until when, how the customer may still write, and
 * how to object. */
extern const char *const hab_letter_required_parts_interim[];
extern const char *const hab_letter_required_parts_interim_lifted[];
/* The post queue's standard acknowledgement (kind "acknowledgement"):
 * what was received and when, that it was read and will not be answered
 * under the arrangement, that a new issue would be, and the Ombudsman. */
hab_letter_t *hab_letter_acknowledgement(apr_pool_t *p, const hab_case_t *c,
                                         const hab_letter_facts_t *f);
extern const char *const hab_letter_required_parts_acknowledgement[];

/* The parts every letter that imposes or keeps restrictions must state. */
extern const char *const hab_letter_required_parts[];
/* The same for an appeal's outcome: final within the council, so no
 * further appeal, but the Ombudsman is still named. */
extern const char *const hab_letter_required_parts_final[];

/* A plain-English sentence for one restriction object. */
const char *hab_restriction_sentence(apr_pool_t *p, const json_t *r);
/* The same restriction in the council's fixed words for staff holding a
 * notice: only what they must act on (the channels, the third party, the
 * matter, the buildings, the date), never a reason or an agreement's terms. */
const char *hab_notice_sentence(apr_pool_t *p, const json_t *r);

/* The printable page around a stored letter. */
const char *hab_letter_page(apr_pool_t *p, const char *council, const char *subject,
                            const char *body, const char *stylesheet);

#endif
