#include <string.h>

#include <apr_strings.h>

#include "habitual/base/ldap_text.h"
#include "habitual/domain/roles.h"

static const char *const role_names[HAB_ROLE_COUNT] = {
    "staff", "cem", "monitoring-officer", "chief-executive", "chief-officer", "auditor"
};

const char *hab_role_name(unsigned index)
{
    return index < HAB_ROLE_COUNT ? role_names[index] : NULL;
}

unsigned hab_role_bit(unsigned index)
{
    return index < HAB_ROLE_COUNT ? 1u << index : 0;
}

int hab_role_index(const char *name)
{
    for (unsigned i = 0; i < HAB_ROLE_COUNT; i++)
        if (strcmp(name, role_names[i]) == 0) return (int)i;
    return -1;
}

const char *hab_roles_join(apr_pool_t *p, unsigned roles)
{
    const char *out = "";
    for (unsigned i = 0; i < HAB_ROLE_COUNT; i++)
        if (roles & hab_role_bit(i))
            out = *out ? apr_pstrcat(p, out, ",", role_names[i], NULL) : role_names[i];
    return out;
}

static hab_err_t *directory_down(apr_pool_t *p)
{
    return hab_err_unavailable(p, "The staff directory cannot be reached; try again shortly.");
}

/* Of the entry's values, the one equal to name ignoring ASCII case; else
 * the first (the directory matched it by its own rules). */
static int ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int equal_ignoring_ascii_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b)) return 0;
    return *a == *b;
}

static const char *pick_id(const char *const *ids, const char *name)
{
    if (!ids || !ids[0]) return NULL;
    for (size_t i = 0; ids[i]; i++)
        if (equal_ignoring_ascii_case(ids[i], name)) return ids[i];
    return *ids[0] ? ids[0] : NULL;
}

hab_dir_answer_t hab_dir_find_id(apr_pool_t *p, const hab_directory_t *dir,
                                 const hab_role_groups_t *groups, const char *name,
                                 const char **dn, const char **id)
{
    const char *found_dn = NULL;
    const char *const *ids = NULL;
    *id = NULL;
    if (dn) *dn = NULL;
    if (!name || !*name) return HAB_DIR_NO;
    const char *filter = hab_ldap_user_filter(p, groups->filter, groups->user_attribute, name);
    hab_dir_answer_t a = dir->find_user(dir->baton, p, filter, &found_dn, &ids);
    if (a != HAB_DIR_YES) return a;
    const char *picked = pick_id(ids, name);
    if (!picked || !found_dn) return HAB_DIR_NO;
    *id = apr_pstrdup(p, picked);
    if (dn) *dn = found_dn;
    return HAB_DIR_YES;
}

int hab_user_name_plausible(const char *name)
{
    if (!name || !*name) return 0;
    size_t n = 0;
    for (const unsigned char *s = (const unsigned char *)name; *s; s++, n++)
        if (*s < 0x20 || *s == 0x7f || *s == '*' || *s == '(' || *s == ')' || *s == '\\') return 0;
    return n <= 256;
}

/* README "Roles": everyone found in the directory is staff (unless a staff group
 * is configured, then membership decides); group roles add to that. */
hab_err_t *hab_roles_resolve(apr_pool_t *p, const hab_directory_t *dir,
                             const hab_role_groups_t *groups,
                             const char *user, unsigned *roles, const char **id)
{
    return hab_roles_and_teams_resolve(p, dir, groups, user, roles, id, NULL);
}

hab_err_t *hab_roles_and_teams_resolve(apr_pool_t *p, const hab_directory_t *dir,
                                       const hab_role_groups_t *groups, const char *user,
                                       unsigned *roles, const char **id, const char **teams)
{
    const char *dn = NULL, *canonical = NULL;
    *roles = 0;
    if (id) *id = NULL;
    if (teams) *teams = ",";
    if (!user || !*user) return NULL;

    switch (hab_dir_find_id(p, dir, groups, user, &dn, &canonical)) {
    case HAB_DIR_NO: return NULL;
    case HAB_DIR_UNAVAILABLE: return directory_down(p);
    case HAB_DIR_YES: break;
    }

    unsigned found = 0;
    for (unsigned i = 0; i < HAB_ROLE_COUNT; i++) {
        if (!groups->dn[i]) continue;
        switch (dir->is_member(dir->baton, p, groups->dn[i], groups->attribute, dn)) {
        case HAB_DIR_YES: found |= hab_role_bit(i); break;
        case HAB_DIR_NO: break;
        case HAB_DIR_UNAVAILABLE: return directory_down(p);
        }
    }
    if (!groups->dn[0]) found |= HAB_ROLE_STAFF;
    /* Group roles imply staff: README "Roles": staff as well as any group role. */
    if (found) found |= HAB_ROLE_STAFF;
    *roles = found;
    if (id) *id = canonical;
    for (int t = 0; teams && t < groups->team_count; t++) {
        switch (dir->is_member(dir->baton, p, groups->team_dn[t], groups->attribute, dn)) {
        case HAB_DIR_YES: *teams = apr_pstrcat(p, *teams, groups->team_name[t], ",", NULL); break;
        case HAB_DIR_NO: break;
        case HAB_DIR_UNAVAILABLE: *roles = 0; return directory_down(p);
        }
    }
    return NULL;
}
