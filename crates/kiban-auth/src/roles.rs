//! Roles and permissions.

use kiban_core::MunicipalityCode;

/// A staff role (権限). Roles are per business: a role sees only its
/// businesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 団体管理者: manages the municipality's staff and settings.
    MunicipalityAdmin,
    /// 住民記録担当: resident registry and its certificates, seal registration.
    RegistryClerk,
    /// 税務担当: taxes and collection.
    TaxClerk,
    /// 国保担当: national health insurance.
    NhiClerk,
    /// 監督者: reads every business, approves, overrides 支援措置 and issues
    /// certificates (never records movements).
    Supervisor,
    /// 監査担当: reads the access log.
    Auditor,
}

/// What an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read resident registry data.
    RegistryRead,
    /// Record movements in the registry.
    RegistryWrite,
    /// Tax data.
    Tax,
    /// NHI data.
    Nhi,
    /// Stateless calculations (no personal data stored).
    Calculate,
    /// Read the access log.
    AuditRead,
    /// Manage staff accounts.
    ManageStaff,
    /// Record and end 支援措置 (support measures) of residents.
    ManageSupportMeasures,
    /// Show the address of, or issue a certificate for, a person under a
    /// support measure, after an explicit confirmation (always logged).
    OverrideSupportMeasures,
    /// 個人番号: reveal it in full (stating a purpose) and search by it.
    IndividualNumber,
    /// Issue certificates (証明書の交付: 住民票の写し, 印鑑登録証明書, …).
    /// Held by registry clerks and by supervisors, so that a supervisor
    /// (係長 at the counter) who overrides a 支援措置 can issue the
    /// certificate without handing the confirmed case to a clerk.
    IssueCertificates,
    /// The door of certificate issuance (証明書の交付): held by every role
    /// that may issue some kind. Which kinds a holder issues is then decided
    /// per kind: the registry's and the seal's need
    /// [`Permission::IssueCertificates`] (the counter); the 課税（所得）証明書
    /// also [`Permission::Tax`] (the tax office's counter).
    Certificates,
    /// The registry's batch jobs (バッチ処理: start, follow, read their
    /// outputs, plan them) and the consumers of its events (positions,
    /// dead letters).
    RegistryJobs,
    /// Read and search the addressee master (宛名), its mailing addresses
    /// and the person overview (個人状況照会).
    AddresseeRead,
    /// Register and change non-residents (住登外者), merge and unmerge
    /// addressees (名寄せ) and set mailing addresses (送付先).
    AddresseeWrite,
    /// Manage the municipality's data linkage (庁内データ連携): webhooks
    /// and the hosts they may reach.
    ManageLinkage,
    /// Read and set the resident tax's settings of a fiscal year (税率,
    /// 級地, 納期限, 端数単位, 収納機関番号).
    ResidentTaxSettings,
    /// Change the collection settings (収納の設定: the 委託者 data of
    /// direct debit, the 督促手数料): supervisors only; tax clerks read them.
    CollectionSettings,
    /// The door of the batch console and of the jobs API (バッチ処理):
    /// held by every role that may use the jobs of some business. Which
    /// runs, kinds and consumers a holder sees and starts is then decided
    /// per business by that business's own permission (the registry's:
    /// [`Permission::RegistryJobs`]; the resident tax's: [`Permission::Tax`]).
    Jobs,
}

impl Role {
    /// Every role, in the order of the contract.
    pub const ALL: [Role; 6] = [
        Role::MunicipalityAdmin,
        Role::RegistryClerk,
        Role::TaxClerk,
        Role::NhiClerk,
        Role::Supervisor,
        Role::Auditor,
    ];

    /// The code used by the CLI and the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::MunicipalityAdmin => "municipality_admin",
            Role::RegistryClerk => "registry_clerk",
            Role::TaxClerk => "tax_clerk",
            Role::NhiClerk => "nhi_clerk",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
        }
    }

    /// The role's name on screens.
    pub fn label_ja(self) -> &'static str {
        match self {
            Role::MunicipalityAdmin => "団体管理者",
            Role::RegistryClerk => "住民記録担当",
            Role::TaxClerk => "税務担当",
            Role::NhiClerk => "国保担当",
            Role::Supervisor => "監督者",
            Role::Auditor => "監査担当",
        }
    }

    /// Parses a role code; the error is the catalogue's message for people.
    pub fn parse(code: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .ok_or_else(|| unknown_role(code).text())
    }

    /// Whether the role has a permission.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Role::MunicipalityAdmin => {
                matches!(
                    permission,
                    P::ManageStaff
                        | P::AuditRead
                        | P::Calculate
                        | P::RegistryJobs
                        | P::Jobs
                        | P::ManageLinkage
                        | P::ResidentTaxSettings
                )
            }
            Role::RegistryClerk => matches!(
                permission,
                P::RegistryRead
                    | P::RegistryWrite
                    | P::Calculate
                    | P::ManageSupportMeasures
                    | P::IndividualNumber
                    | P::IssueCertificates
                    | P::Certificates
                    | P::RegistryJobs
                    | P::Jobs
                    | P::AddresseeRead
            ),
            Role::TaxClerk => matches!(
                permission,
                P::RegistryRead
                    | P::Tax
                    | P::Calculate
                    | P::AddresseeRead
                    | P::AddresseeWrite
                    | P::ResidentTaxSettings
                    | P::Jobs
                    | P::Certificates
            ),
            Role::NhiClerk => matches!(
                permission,
                P::RegistryRead | P::Nhi | P::Calculate | P::AddresseeRead | P::AddresseeWrite
            ),
            Role::Supervisor => matches!(
                permission,
                P::RegistryRead
                    | P::Tax
                    | P::Nhi
                    | P::Calculate
                    | P::ManageSupportMeasures
                    | P::OverrideSupportMeasures
                    | P::IndividualNumber
                    | P::IssueCertificates
                    | P::Certificates
                    | P::RegistryJobs
                    | P::Jobs
                    | P::AddresseeRead
                    | P::AddresseeWrite
                    | P::CollectionSettings
            ),
            Role::Auditor => matches!(permission, P::AuditRead | P::Calculate),
        }
    }

    /// Whether accounts of this role must log in with a second factor
    /// (TOTP): administrators, and every role that may see a 個人番号.
    pub fn requires_second_factor(self) -> bool {
        self == Role::MunicipalityAdmin || self.allows(Permission::IndividualNumber)
    }
}

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A municipal staff member.
    Staff {
        /// Their municipality.
        municipality: MunicipalityCode,
        /// Login.
        login: String,
        /// Display name.
        display_name: String,
        /// Role.
        role: Role,
        /// The token or session in use.
        token_id: String,
    },
    /// A service operator: never reads resident data.
    Operator {
        /// Login.
        login: String,
        /// The token or session in use.
        token_id: String,
    },
    /// A system client (システム連携クライアント) of one municipality,
    /// acting with an OAuth 2.0 access token: it holds no role, only the
    /// scopes granted to the token, and reaches only its municipality's
    /// operations that accept one of them.
    Client {
        /// Its municipality.
        municipality: MunicipalityCode,
        /// The client id (`kbc<municipality><random>`).
        client_id: String,
        /// The scopes granted to the access token in use.
        scopes: Vec<String>,
        /// The access token in use.
        token_id: String,
    },
}

/// The role code written in the access log for a system client.
pub const CLIENT_ROLE_CODE: &str = "system_client";

impl Principal {
    /// The actor as written in the access log: the login,
    /// `operator:LOGIN` for operators, the client id for system clients
    /// (client ids start with `kbc`, which no login needs; their role is
    /// [`CLIENT_ROLE_CODE`]).
    pub fn actor(&self) -> String {
        match self {
            Principal::Staff { login, .. } => login.clone(),
            Principal::Operator { login, .. } => format!("operator:{login}"),
            Principal::Client { client_id, .. } => client_id.clone(),
        }
    }

    /// The role code as written in the access log.
    pub fn role_code(&self) -> &'static str {
        match self {
            Principal::Staff { role, .. } => role.code(),
            Principal::Operator { .. } => "operator",
            Principal::Client { .. } => CLIENT_ROLE_CODE,
        }
    }

    /// The municipality of a staff member or a system client; `None` for
    /// operators.
    pub fn municipality(&self) -> Option<MunicipalityCode> {
        match self {
            Principal::Staff { municipality, .. } | Principal::Client { municipality, .. } => {
                Some(*municipality)
            }
            Principal::Operator { .. } => None,
        }
    }

    /// Whether the principal may do something in municipality `m`: staff of
    /// that municipality with the permission. Operators never may touch
    /// tenant data; system clients hold no role (their door is their
    /// scopes, [`Principal::holds_any_scope`]).
    pub fn may(&self, m: MunicipalityCode, permission: Permission) -> bool {
        match self {
            Principal::Staff {
                municipality, role, ..
            } => *municipality == m && role.allows(permission),
            Principal::Operator { .. } | Principal::Client { .. } => false,
        }
    }

    /// Whether the principal is a system client whose token holds one of
    /// `scopes`.
    pub fn holds_any_scope(&self, scopes: &[&str]) -> bool {
        match self {
            Principal::Client { scopes: held, .. } => {
                held.iter().any(|h| scopes.contains(&h.as_str()))
            }
            Principal::Staff { .. } | Principal::Operator { .. } => false,
        }
    }
}

/// The catalogue's message for a role code that does not exist.
pub(crate) fn unknown_role(code: &str) -> kiban_core::Message {
    kiban_core::Message::UnknownRole {
        role: code.to_owned(),
        roles: Role::ALL.map(|r| r.code()).join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_see_only_their_businesses() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
        assert!(Role::RegistryClerk.allows(Permission::RegistryWrite));
        assert!(!Role::TaxClerk.allows(Permission::RegistryWrite));
        assert!(!Role::RegistryClerk.allows(Permission::Tax));
        assert!(!Role::Auditor.allows(Permission::RegistryRead));
        let reveal: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::IndividualNumber))
            .collect();
        assert_eq!(reveal, [Role::RegistryClerk, Role::Supervisor]);
        // Some role both issues certificates and overrides 支援措置: the
        // supervisor at the counter.
        let issue_and_override: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| {
                r.allows(Permission::IssueCertificates)
                    && r.allows(Permission::OverrideSupportMeasures)
            })
            .collect();
        assert_eq!(issue_and_override, [Role::Supervisor]);
        // Every role that issues some kind of certificate passes its door.
        for r in Role::ALL {
            if r.allows(Permission::IssueCertificates) || r.allows(Permission::Tax) {
                assert!(r.allows(Permission::Certificates), "{r:?}");
            }
        }
        assert!(!Role::TaxClerk.allows(Permission::IssueCertificates));
        assert!(!Role::Supervisor.allows(Permission::RegistryWrite));
        let second: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.requires_second_factor())
            .collect();
        assert_eq!(
            second,
            [
                Role::MunicipalityAdmin,
                Role::RegistryClerk,
                Role::Supervisor
            ]
        );
    }
}
