/* Roles of SPEC §2 and how they are derived from a directory. */
#ifndef HABITUAL_ROLES_H
#define HABITUAL_ROLES_H

#include <apr_pools.h>

#include "habitual/error.h"

typedef enum {
    HAB_ROLE_STAFF = 1u << 0,
    HAB_ROLE_CEM = 1u << 1,
    HAB_ROLE_MONITORING_OFFICER = 1u << 2,
    HAB_ROLE_CHIEF_EXECUTIVE = 1u << 3,
    HAB_ROLE_CHIEF_OFFICER = 1u << 4,
    HAB_ROLE_AUDITOR = 1u << 5
} hab_role_t;

#define HAB_ROLE_COUNT 6
/* Who sees the full case file and the list (SPEC §5). */
#define HAB_ROLES_CASE_OFFICERS \
    (HAB_ROLE_CEM | HAB_ROLE_MONITORING_OFFICER | HAB_ROLE_CHIEF_EXECUTIVE)

/* Index 0..HAB_ROLE_COUNT-1 <-> bit <-> SPEC name. */
const char *hab_role_name(unsigned index);
unsigned hab_role_bit(unsigned index);
/* -1 when the name is not one of the SPEC's roles. */
int hab_role_index(const char *name);
/* "staff,cem" — the form the access log stores. */
const char *hab_roles_join(apr_pool_t *p, unsigned roles);

/* What a directory can answer.  UNAVAILABLE covers down, timeout and any
 * answer we do not understand: the caller then answers 503, never guesses. */
typedef enum {
    HAB_DIR_YES,
    HAB_DIR_NO,
    HAB_DIR_UNAVAILABLE
} hab_dir_answer_t;

/* The directory behind a function-pointer table, so the module can use
 * mod_ldap's util_ldap and the unit tests a stub. */
typedef struct hab_directory {
    void *baton;
    /* Find the one entry matching filter; *dn is set on YES. */
    hab_dir_answer_t (*find_user)(void *baton, apr_pool_t *p,
                                  const char *filter, const char **dn);
    /* Is value among group_dn's attribute values? */
    hab_dir_answer_t (*is_member)(void *baton, apr_pool_t *p,
                                  const char *group_dn, const char *attribute,
                                  const char *value);
} hab_directory_t;

typedef struct hab_role_groups {
    const char *dn[HAB_ROLE_COUNT]; /* NULL where no group is configured */
    const char *attribute;          /* e.g. "member"; values are user DNs */
    const char *user_attribute;     /* e.g. "uid" from the URL */
    const char *filter;             /* the URL's filter, e.g. "(objectClass=*)" */
} hab_role_groups_t;

/* Roles of user: 0 when the directory has no entry for them.  Returns a
 * 503 error when the directory cannot answer. */
hab_err_t *hab_roles_resolve(apr_pool_t *p, const hab_directory_t *dir,
                             const hab_role_groups_t *groups,
                             const char *user, unsigned *roles);

#endif
