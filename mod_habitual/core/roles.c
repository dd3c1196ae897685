#include <string.h>

#include <apr_strings.h>

#include "habitual/ldap_text.h"
#include "habitual/roles.h"

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

/* SPEC §2: everyone found in the directory is staff (unless a staff group
 * is configured, then membership decides); group roles add to that. */
hab_err_t *hab_roles_resolve(apr_pool_t *p, const hab_directory_t *dir,
                             const hab_role_groups_t *groups,
                             const char *user, unsigned *roles)
{
    *roles = 0;
    if (!user || !*user) return NULL;

    const char *filter = hab_ldap_user_filter(p, groups->filter, groups->user_attribute, user);
    const char *dn = NULL;
    switch (dir->find_user(dir->baton, p, filter, &dn)) {
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
    /* Group roles imply staff: SPEC §2 "holds staff as well as any group roles". */
    if (found) found |= HAB_ROLE_STAFF;
    *roles = found;
    return NULL;
}
