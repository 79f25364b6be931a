//! Deskbridge's common ticketing model, in Merge's Ticketing API wire format.
//!
//! Pure types: serde for the wire, utoipa for the OpenAPI schemas. No I/O.
//!
//! - Response models ([`Ticket`], [`Comment`], …) have Merge's field names; relations are
//!   [`Expandable`] (an id, or the object when expanded); model-specific fields are all optional
//!   so a shell record deserializes. [`CommonModel`], [`model_fields`] and [`relation_fields`]
//!   describe them for storage.
//! - Lists are [`Paginated`], with schema names `Paginated{Model}List` (use the aliases, e.g.
//!   [`PaginatedTicketList`], in utoipa attributes).
//! - [`ModelSchemas`] registers every schema; merge it into the API document.

pub mod kind;

pub mod common;
pub mod enums;
pub mod fields;
pub mod openapi;
pub mod render;
pub mod schema;

pub mod account;
pub mod attachment;
pub mod collection;
pub mod comment;
pub mod contact;
pub mod permission;
pub mod project;
pub mod remote_field;
pub mod role;
pub mod tag;
pub mod team;
pub mod ticket;
pub mod user;
pub mod viewer;

pub mod audit;
pub mod deskbridge_ext;
pub mod linking;
pub mod passthrough;
pub mod patch;
pub mod request;
pub mod sync;
pub mod write;

pub use account::{Account, PaginatedAccountList};
pub use attachment::{Attachment, PaginatedAttachmentList};
pub use audit::{AuditLogEvent, EventTypeEnum, PaginatedAuditLogEventList, RoleEnum};
pub use collection::{Collection, PaginatedCollectionList};
pub use comment::{Comment, PaginatedCommentList};
pub use common::{
    EXAMPLE_CURSOR, ErrorDetail, Expandable, FieldMappings, HasId, Paginated, RemoteData,
};
pub use contact::{Contact, PaginatedContactList};
pub use deskbridge_ext::{IntegrationCredentials, LinkAccountRequest, LinkAccountResponse};
pub use enums::{
    AccountDetailsAndActionsStatusEnum, ActionsEnum, CategoriesEnum, CollectionAccessLevelEnum,
    CollectionTypeEnum, EffectEnum, EnabledActionsEnum, EnumOrString, FieldFormatEnum,
    FieldTypeEnum, LanguageEnum, LinkedAccountStatusEnum, PriorityEnum, TicketAccessEnum,
    TicketAccessLevelEnum, TicketActionsEnum, TicketStatusEnum, UnknownEnumValue, WireEnum,
};
pub use fields::{
    BASE_FIELDS, CommonModel, RecordMeta, VIEWER_FIELDS, VIEWER_RELATIONS, model_fields,
    relation_fields,
};
pub use kind::{ModelKind, record_id};
pub use linking::{
    AccountDetails, AccountDetailsAndActions, AccountDetailsAndActionsIntegration,
    AccountIntegration, AccountToken, AvailableActions, CommonModelScopesBodyRequest,
    FieldPermissionDeserializerRequest, GenerateRemoteKeyRequest,
    IndividualCommonModelScopeDeserializerRequest, LinkToken, LinkTokenRequest, ModelOperation,
    ModelPermissionDeserializerRequest, PaginatedAccountDetailsAndActionsList,
    RegenerateAccountToken, RemoteKey, RemoteKeyForRegenerationRequest,
};
pub use openapi::{ModelSchemas, PAGINATED_LIST_NAMES};
pub use passthrough::{
    AsyncPassthroughReciept, DataPassthroughRequest, EncodingEnum, MethodEnum,
    MultipartFormFieldRequest, RemoteResponse, RequestFormatEnum, ResponseTypeEnum,
};
pub use patch::{Patch, PatchedTicketEndpointRequest, PatchedTicketRequest};
pub use permission::Permission;
pub use project::{PaginatedProjectList, Project};
pub use remote_field::{
    FieldChoice, ItemSchema, PaginatedRemoteFieldClassList, RemoteField, RemoteFieldClass,
};
pub use request::{
    AttachmentRequest, CommentEndpointRequest, CommentRequest, ContactRequest, ModelRequest,
    RemoteFieldRequest, TicketEndpointRequest, TicketRequest, TicketingAttachmentEndpointRequest,
    TicketingContactEndpointRequest,
};
pub use role::{PaginatedRoleList, Role};
pub use sync::{
    PaginatedSyncStatusList, SelectiveSyncConfigurationsUsageEnum, SyncStatus, SyncStatusEnum,
    SyncStatusReasonEnum,
};
pub use tag::{PaginatedTagList, Tag};
pub use team::{PaginatedTeamList, Team};
pub use ticket::{PaginatedTicketList, Ticket};
pub use user::{PaginatedUserList, User};
pub use viewer::{PaginatedViewerList, Viewer};
pub use write::{
    CommentResponse, DebugModeLog, DebugModelLogSummary, LinkedAccountStatus, MetaResponse,
    TicketResponse, TicketingAttachmentResponse, TicketingContactResponse, ValidationProblem,
    ValidationProblemSource,
};
