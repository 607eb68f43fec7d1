//! 支援措置 (support measures): the API and the screen.

pub(crate) mod api;
pub(crate) mod pages;

use kiban_auth::{Permission, Role};

/// Whether a role may use the 支援措置 screen: it manages measures and may
/// override them. Other businesses' screens link to it only for these roles.
pub(crate) fn may_manage_on_screen(role: Role) -> bool {
    role.allows(Permission::ManageSupportMeasures)
        && role.allows(Permission::OverrideSupportMeasures)
}
