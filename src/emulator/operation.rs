//! The operations the emulator serves: their names, HTTP bindings and the
//! quota each one counts against.

use axum::http::Method;

/// One IVS Chat API operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `POST /SendEvent`.
    SendEvent,
    /// `POST /CreateChatToken`.
    CreateChatToken,
    /// `POST /CreateRoom`.
    CreateRoom,
    /// `POST /GetRoom`.
    GetRoom,
    /// `POST /ListRooms`.
    ListRooms,
    /// `POST /UpdateRoom`.
    UpdateRoom,
    /// `POST /DeleteRoom` (204).
    DeleteRoom,
    /// `POST /tags/{resourceArn}`.
    TagResource,
    /// `DELETE /tags/{resourceArn}?tagKeys=…`.
    UntagResource,
    /// `GET /tags/{resourceArn}`.
    ListTagsForResource,
    /// `POST /DeleteMessage`.
    DeleteMessage,
    /// `POST /DisconnectUser`.
    DisconnectUser,
    /// `POST /CreateLoggingConfiguration`.
    CreateLoggingConfiguration,
    /// `POST /GetLoggingConfiguration`.
    GetLoggingConfiguration,
    /// `POST /ListLoggingConfigurations`.
    ListLoggingConfigurations,
    /// `POST /UpdateLoggingConfiguration`.
    UpdateLoggingConfiguration,
    /// `POST /DeleteLoggingConfiguration` (204).
    DeleteLoggingConfiguration,
}

/// Which token bucket an operation draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotaClass {
    /// SendEvent: 100 TPS.
    SendEvent,
    /// CreateChatToken: 200 TPS.
    ChatToken,
    /// CreateRoom, GetRoom, ListRooms, UpdateRoom, DeleteRoom: 5 TPS.
    Room,
    /// Tag operations: 10 TPS.
    Tags,
    /// DeleteMessage: 100 TPS.
    DeleteMessage,
    /// DisconnectUser: 100 TPS.
    DisconnectUser,
    /// The five logging-configuration operations: 3 TPS.
    Logging,
}

impl QuotaClass {
    /// Transactions per second, per account per region (not adjustable).
    pub fn tps(self) -> u32 {
        match self {
            Self::SendEvent => 100,
            Self::ChatToken => 200,
            Self::Room => 5,
            Self::Tags => 10,
            Self::DeleteMessage | Self::DisconnectUser => 100,
            Self::Logging => 3,
        }
    }
}

impl Operation {
    /// Every operation, in a fixed order (used to index counters).
    pub const ALL: [Operation; 17] = [
        Self::SendEvent,
        Self::CreateChatToken,
        Self::CreateRoom,
        Self::GetRoom,
        Self::ListRooms,
        Self::UpdateRoom,
        Self::DeleteRoom,
        Self::TagResource,
        Self::UntagResource,
        Self::ListTagsForResource,
        Self::DeleteMessage,
        Self::DisconnectUser,
        Self::CreateLoggingConfiguration,
        Self::GetLoggingConfiguration,
        Self::ListLoggingConfigurations,
        Self::UpdateLoggingConfiguration,
        Self::DeleteLoggingConfiguration,
    ];

    /// The operation name as in the service model.
    pub fn name(self) -> &'static str {
        match self {
            Self::SendEvent => "SendEvent",
            Self::CreateChatToken => "CreateChatToken",
            Self::CreateRoom => "CreateRoom",
            Self::GetRoom => "GetRoom",
            Self::ListRooms => "ListRooms",
            Self::UpdateRoom => "UpdateRoom",
            Self::DeleteRoom => "DeleteRoom",
            Self::TagResource => "TagResource",
            Self::UntagResource => "UntagResource",
            Self::ListTagsForResource => "ListTagsForResource",
            Self::DeleteMessage => "DeleteMessage",
            Self::DisconnectUser => "DisconnectUser",
            Self::CreateLoggingConfiguration => "CreateLoggingConfiguration",
            Self::GetLoggingConfiguration => "GetLoggingConfiguration",
            Self::ListLoggingConfigurations => "ListLoggingConfigurations",
            Self::UpdateLoggingConfiguration => "UpdateLoggingConfiguration",
            Self::DeleteLoggingConfiguration => "DeleteLoggingConfiguration",
        }
    }

    /// Looks an operation up by its model name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Position in [`Operation::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The bucket this operation is limited by.
    pub fn quota(self) -> QuotaClass {
        match self {
            Self::SendEvent => QuotaClass::SendEvent,
            Self::CreateChatToken => QuotaClass::ChatToken,
            Self::CreateRoom
            | Self::GetRoom
            | Self::ListRooms
            | Self::UpdateRoom
            | Self::DeleteRoom => QuotaClass::Room,
            Self::TagResource | Self::UntagResource | Self::ListTagsForResource => QuotaClass::Tags,
            Self::DeleteMessage => QuotaClass::DeleteMessage,
            Self::DisconnectUser => QuotaClass::DisconnectUser,
            Self::CreateLoggingConfiguration
            | Self::GetLoggingConfiguration
            | Self::ListLoggingConfigurations
            | Self::UpdateLoggingConfiguration
            | Self::DeleteLoggingConfiguration => QuotaClass::Logging,
        }
    }

    /// The operation behind `POST /{Name}` (all operations but the tag ones).
    pub fn from_post_path(path: &str) -> Option<Self> {
        let op = Self::from_name(path.strip_prefix('/')?)?;
        (!op.is_tag_op()).then_some(op)
    }

    /// The tag operation at `/tags/{resourceArn}` for this method.
    pub fn tag_op_for(method: &Method) -> Option<Self> {
        match *method {
            Method::GET => Some(Self::ListTagsForResource),
            Method::POST => Some(Self::TagResource),
            Method::DELETE => Some(Self::UntagResource),
            _ => None,
        }
    }

    /// Whether the operation lives under `/tags/`.
    pub fn is_tag_op(self) -> bool {
        self.quota() == QuotaClass::Tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_index_in_order() {
        for (i, op) in Operation::ALL.into_iter().enumerate() {
            assert_eq!(Operation::from_name(op.name()), Some(op));
            assert_eq!(op.index(), i);
        }
        assert_eq!(
            Operation::from_post_path("/SendEvent"),
            Some(Operation::SendEvent)
        );
        assert_eq!(Operation::from_post_path("/TagResource"), None);
        assert_eq!(Operation::from_post_path("/Nope"), None);
        assert_eq!(Operation::tag_op_for(&Method::PUT), None);
    }
}
