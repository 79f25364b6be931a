//! The organization's audit trail (`/audit-trail`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::common::Paginated;
use crate::enums::wire_enum;

wire_enum! {
    /// The role of whoever caused an audit-trail event.
    RoleEnum {
        /// `ADMIN`
        Admin = "ADMIN",
        /// `DEVELOPER`
        Developer = "DEVELOPER",
        /// `MEMBER`
        Member = "MEMBER",
        /// `API`
        Api = "API",
        /// `SYSTEM`
        System = "SYSTEM",
        /// `MERGE_TEAM`
        MergeTeam = "MERGE_TEAM",
        /// `SUPPORT`
        Support = "SUPPORT",
    }
}

wire_enum! {
    /// What happened, in an audit-trail event (all of Merge's values).
    EventTypeEnum {
        /// `CREATED_REMOTE_PRODUCTION_API_KEY`
        CreatedRemoteProductionApiKey = "CREATED_REMOTE_PRODUCTION_API_KEY",
        /// `DELETED_REMOTE_PRODUCTION_API_KEY`
        DeletedRemoteProductionApiKey = "DELETED_REMOTE_PRODUCTION_API_KEY",
        /// `CREATED_TEST_API_KEY`
        CreatedTestApiKey = "CREATED_TEST_API_KEY",
        /// `DELETED_TEST_API_KEY`
        DeletedTestApiKey = "DELETED_TEST_API_KEY",
        /// `REGENERATED_PRODUCTION_API_KEY`
        RegeneratedProductionApiKey = "REGENERATED_PRODUCTION_API_KEY",
        /// `REGENERATED_WEBHOOK_SIGNATURE`
        RegeneratedWebhookSignature = "REGENERATED_WEBHOOK_SIGNATURE",
        /// `INVITED_USER`
        InvitedUser = "INVITED_USER",
        /// `TWO_FACTOR_AUTH_ENABLED`
        TwoFactorAuthEnabled = "TWO_FACTOR_AUTH_ENABLED",
        /// `TWO_FACTOR_AUTH_DISABLED`
        TwoFactorAuthDisabled = "TWO_FACTOR_AUTH_DISABLED",
        /// `DELETED_LINKED_ACCOUNT`
        DeletedLinkedAccount = "DELETED_LINKED_ACCOUNT",
        /// `DELETED_ALL_COMMON_MODELS_FOR_LINKED_ACCOUNT`
        DeletedAllCommonModelsForLinkedAccount = "DELETED_ALL_COMMON_MODELS_FOR_LINKED_ACCOUNT",
        /// `CREATED_DESTINATION`
        CreatedDestination = "CREATED_DESTINATION",
        /// `DELETED_DESTINATION`
        DeletedDestination = "DELETED_DESTINATION",
        /// `CHANGED_DESTINATION`
        ChangedDestination = "CHANGED_DESTINATION",
        /// `CHANGED_SCOPES`
        ChangedScopes = "CHANGED_SCOPES",
        /// `CHANGED_PERSONAL_INFORMATION`
        ChangedPersonalInformation = "CHANGED_PERSONAL_INFORMATION",
        /// `CHANGED_ORGANIZATION_SETTINGS`
        ChangedOrganizationSettings = "CHANGED_ORGANIZATION_SETTINGS",
        /// `ENABLED_INTEGRATION`
        EnabledIntegration = "ENABLED_INTEGRATION",
        /// `DISABLED_INTEGRATION`
        DisabledIntegration = "DISABLED_INTEGRATION",
        /// `ENABLED_CATEGORY`
        EnabledCategory = "ENABLED_CATEGORY",
        /// `DISABLED_CATEGORY`
        DisabledCategory = "DISABLED_CATEGORY",
        /// `CHANGED_PASSWORD`
        ChangedPassword = "CHANGED_PASSWORD",
        /// `RESET_PASSWORD`
        ResetPassword = "RESET_PASSWORD",
        /// `ENABLED_REDACT_UNMAPPED_DATA_FOR_ORGANIZATION`
        EnabledRedactUnmappedDataForOrganization = "ENABLED_REDACT_UNMAPPED_DATA_FOR_ORGANIZATION",
        /// `ENABLED_REDACT_UNMAPPED_DATA_FOR_LINKED_ACCOUNT`
        EnabledRedactUnmappedDataForLinkedAccount = "ENABLED_REDACT_UNMAPPED_DATA_FOR_LINKED_ACCOUNT",
        /// `DISABLED_REDACT_UNMAPPED_DATA_FOR_ORGANIZATION`
        DisabledRedactUnmappedDataForOrganization = "DISABLED_REDACT_UNMAPPED_DATA_FOR_ORGANIZATION",
        /// `DISABLED_REDACT_UNMAPPED_DATA_FOR_LINKED_ACCOUNT`
        DisabledRedactUnmappedDataForLinkedAccount = "DISABLED_REDACT_UNMAPPED_DATA_FOR_LINKED_ACCOUNT",
        /// `CREATED_INTEGRATION_WIDE_FIELD_MAPPING`
        CreatedIntegrationWideFieldMapping = "CREATED_INTEGRATION_WIDE_FIELD_MAPPING",
        /// `CREATED_LINKED_ACCOUNT_FIELD_MAPPING`
        CreatedLinkedAccountFieldMapping = "CREATED_LINKED_ACCOUNT_FIELD_MAPPING",
        /// `CHANGED_INTEGRATION_WIDE_FIELD_MAPPING`
        ChangedIntegrationWideFieldMapping = "CHANGED_INTEGRATION_WIDE_FIELD_MAPPING",
        /// `CHANGED_LINKED_ACCOUNT_FIELD_MAPPING`
        ChangedLinkedAccountFieldMapping = "CHANGED_LINKED_ACCOUNT_FIELD_MAPPING",
        /// `DELETED_INTEGRATION_WIDE_FIELD_MAPPING`
        DeletedIntegrationWideFieldMapping = "DELETED_INTEGRATION_WIDE_FIELD_MAPPING",
        /// `DELETED_LINKED_ACCOUNT_FIELD_MAPPING`
        DeletedLinkedAccountFieldMapping = "DELETED_LINKED_ACCOUNT_FIELD_MAPPING",
        /// `CREATED_LINKED_ACCOUNT_COMMON_MODEL_OVERRIDE`
        CreatedLinkedAccountCommonModelOverride = "CREATED_LINKED_ACCOUNT_COMMON_MODEL_OVERRIDE",
        /// `CHANGED_LINKED_ACCOUNT_COMMON_MODEL_OVERRIDE`
        ChangedLinkedAccountCommonModelOverride = "CHANGED_LINKED_ACCOUNT_COMMON_MODEL_OVERRIDE",
        /// `DELETED_LINKED_ACCOUNT_COMMON_MODEL_OVERRIDE`
        DeletedLinkedAccountCommonModelOverride = "DELETED_LINKED_ACCOUNT_COMMON_MODEL_OVERRIDE",
        /// `FORCED_LINKED_ACCOUNT_RESYNC`
        ForcedLinkedAccountResync = "FORCED_LINKED_ACCOUNT_RESYNC",
        /// `MUTED_ISSUE`
        MutedIssue = "MUTED_ISSUE",
        /// `GENERATED_MAGIC_LINK`
        GeneratedMagicLink = "GENERATED_MAGIC_LINK",
        /// `ENABLED_MERGE_WEBHOOK`
        EnabledMergeWebhook = "ENABLED_MERGE_WEBHOOK",
        /// `DISABLED_MERGE_WEBHOOK`
        DisabledMergeWebhook = "DISABLED_MERGE_WEBHOOK",
        /// `MERGE_WEBHOOK_TARGET_CHANGED`
        MergeWebhookTargetChanged = "MERGE_WEBHOOK_TARGET_CHANGED",
        /// `END_USER_CREDENTIALS_ACCESSED`
        EndUserCredentialsAccessed = "END_USER_CREDENTIALS_ACCESSED",
    }
}

/// One audit-trail event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "user_name": "Gil Feig",
    "user_email": "hello@merge.dev",
    "role": "ADMIN",
    "ip_address": "192.0.2.1",
    "event_type": "DELETED_LINKED_ACCOUNT",
    "event_description": "Deleted the linked account 3fa85f64-5717-4562-b3fc-2c963f66afa7",
    "created_at": "2021-09-15T00:00:00Z"
}))]
pub struct AuditLogEvent {
    /// The event's id.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// The name of who caused the event.
    #[serde(default)]
    pub user_name: Option<String>,
    /// The email address of who caused the event.
    #[serde(default)]
    pub user_email: Option<String>,
    /// The role of who caused the event.
    pub role: RoleEnum,
    /// The IP address the event came from.
    pub ip_address: String,
    /// What happened.
    pub event_type: EventTypeEnum,
    /// A description of what happened.
    pub event_description: String,
    /// When it happened.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// A page of audit-trail events; schema `PaginatedAuditLogEventList`.
pub type PaginatedAuditLogEventList = Paginated<AuditLogEvent>;
