/* The roles (README "Roles") and how they are derived from a directory. */
#ifndef HABITUAL_ROLES_H
#define HABITUAL_ROLES_H

#include <apr_pools.h>

#include "habitual/base/error.h"

typedef enum {
    HAB_ROLE_STAFF = 1u << 0,
    HAB_ROLE_CEM = 1u << 1,
    HAB_ROLE_MONITORING_OFFICER = 1u << 2,
    HAB_ROLE_CHIEF_EXECUTIVE = 1u << 3,
    HAB_ROLE_CHIEF_OFFICER = 1u << 4,
    HAB_ROLE_AUDITOR = 1u << 5
} hab_role_t;

#define HAB_ROLE_COUNT 6
/* Who sees the full case file and the list (README "Need to know"). */
#define HAB_ROLES_CASE_OFFICERS \
    (HAB_ROLE_CEM | HAB_ROLE_MONITORING_OFFICER | HAB_ROLE_CHIEF_EXECUTIVE)

/* Index 0..HAB_ROLE_COUNT-1 <-> bit <-> the API's name. */
const char *hab_role_name(unsigned index);
unsigned hab_role_bit(unsigned index);
/* -1 when the name is not one of the roles. */
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
    /* Find the one entry matching filter; on YES *dn is set and *ids to
     * the entry's values of the URL's attribute (NULL-terminated; NULL or
     * empty when it has none). */
    hab_dir_answer_t (*find_user)(void *baton, apr_pool_t *p,
                                  const char *filter, const char **dn,
                                  const char *const **ids);
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
    /* HabitualTeam: team_count names and their groups' DNs */
    const char *const *team_name;
    const char *const *team_dn;
    int team_count;
} hab_role_groups_t;

/* Roles of user: 0 when the directory has no entry for them.  Returns a
 * 503 error when the directory cannot answer.  *id (when id is not NULL)
 * is the user's id as the directory spells it (see hab_dir_find_id), or
 * NULL when there is no entry. */
hab_err_t *hab_roles_resolve(apr_pool_t *p, const hab_directory_t *dir,
                             const hab_role_groups_t *groups,
                             const char *user, unsigned *roles, const char **id);

/* As hab_roles_resolve, and *teams: the HabitualTeam names the user is in,
 * as ",name,name," ("," for none; the form SQL matches a grant's team
 * against), asked of the directory as the role groups are. */
hab_err_t *hab_roles_and_teams_resolve(apr_pool_t *p, const hab_directory_t *dir,
                                       const hab_role_groups_t *groups, const char *user,
                                       unsigned *roles, const char **id, const char **teams);

/* The directory's own id for name (README, "Roles": user ids are
 * canonical): the entry is found with the URL's filter and attribute (the
 * directory matches case-insensitively), and the id is the entry's value
 * of that attribute equal to name ignoring ASCII case, else its first
 * value.  YES with *id (and *dn when dn is not NULL); NO when there is no
 * such entry, or it has no value; UNAVAILABLE when the directory cannot
 * answer. */
hab_dir_answer_t hab_dir_find_id(apr_pool_t *p, const hab_directory_t *dir,
                                 const hab_role_groups_t *groups, const char *name,
                                 const char **dn, const char **id);

/* A name that could be a user id at all: not empty, at most 256 bytes, no
 * control character and none of the filter metacharacters * ( ) \
 * (RFC 4515).  Anything else is refused before the directory is asked. */
int hab_user_name_plausible(const char *name);

#endif
