//! Every schema of this crate, for merging into the API's OpenAPI document.

use utoipa::OpenApi;

#[allow(clippy::wildcard_imports)]
use crate::*;

/// An OpenAPI document holding only components: every schema this crate defines.
///
/// Relation fields reference other models by name only (see [`crate::schema`]), so merge this
/// into the API document (`api.merge(ModelSchemas::openapi())`) to make every `$ref` resolve.
#[derive(OpenApi)]
#[openapi(components(schemas(
    // Common models and their pages.
    Ticket, PaginatedTicketList,
    Comment, PaginatedCommentList,
    User, PaginatedUserList,
    Contact, PaginatedContactList,
    Account, PaginatedAccountList,
    Team, PaginatedTeamList,
    Tag, PaginatedTagList,
    Role, PaginatedRoleList,
    Attachment, PaginatedAttachmentList,
    Collection, PaginatedCollectionList,
    Project, PaginatedProjectList,
    Viewer, PaginatedViewerList,
    RemoteFieldClass, PaginatedRemoteFieldClassList,
    Permission, RemoteField, FieldChoice, ItemSchema, RemoteData, FieldMappings, ErrorDetail,
    // Enums.
    TicketStatusEnum, PriorityEnum, TicketAccessLevelEnum, CollectionTypeEnum,
    CollectionAccessLevelEnum, TicketActionsEnum, TicketAccessEnum, EffectEnum, ActionsEnum,
    FieldTypeEnum, FieldFormatEnum, CategoriesEnum, EnabledActionsEnum, LanguageEnum,
    AccountDetailsAndActionsStatusEnum,
    // Writes.
    TicketRequest, PatchedTicketRequest, CommentRequest, ContactRequest, AttachmentRequest,
    RemoteFieldRequest, TicketEndpointRequest, PatchedTicketEndpointRequest,
    CommentEndpointRequest, TicketingContactEndpointRequest, TicketingAttachmentEndpointRequest,
    TicketResponse, CommentResponse, TicketingContactResponse, TicketingAttachmentResponse,
    ValidationProblem, ValidationProblemSource, DebugModeLog, DebugModelLogSummary,
    MetaResponse, LinkedAccountStatus,
    // Linking.
    LinkTokenRequest, LinkToken, CommonModelScopesBodyRequest,
    IndividualCommonModelScopeDeserializerRequest, ModelPermissionDeserializerRequest,
    FieldPermissionDeserializerRequest, AccountIntegration, AccountToken, RegenerateAccountToken,
    AccountDetails, AccountDetailsAndActions, AccountDetailsAndActionsIntegration,
    PaginatedAccountDetailsAndActionsList, ModelOperation, AvailableActions, RemoteKey,
    GenerateRemoteKeyRequest, RemoteKeyForRegenerationRequest,
    // Sync, audit, passthrough.
    SyncStatus, PaginatedSyncStatusList, SyncStatusEnum, SyncStatusReasonEnum,
    SelectiveSyncConfigurationsUsageEnum,
    AuditLogEvent, PaginatedAuditLogEventList, RoleEnum, EventTypeEnum,
    DataPassthroughRequest, MultipartFormFieldRequest, RemoteResponse, AsyncPassthroughReciept,
    MethodEnum, RequestFormatEnum, ResponseTypeEnum, EncodingEnum,
    // Deskbridge extensions.
    LinkAccountRequest, LinkAccountResponse, IntegrationCredentials,
)))]
pub struct ModelSchemas;

/// The schema names of every paginated list, as they appear in the OpenAPI document.
pub const PAGINATED_LIST_NAMES: &[&str] = &[
    "PaginatedTicketList",
    "PaginatedCommentList",
    "PaginatedUserList",
    "PaginatedContactList",
    "PaginatedAccountList",
    "PaginatedTeamList",
    "PaginatedTagList",
    "PaginatedRoleList",
    "PaginatedAttachmentList",
    "PaginatedCollectionList",
    "PaginatedProjectList",
    "PaginatedViewerList",
    "PaginatedRemoteFieldClassList",
    "PaginatedAccountDetailsAndActionsList",
    "PaginatedSyncStatusList",
    "PaginatedAuditLogEventList",
];
