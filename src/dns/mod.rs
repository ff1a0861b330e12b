//! DNS (RFC 1035 and record-type RFCs): the only module that knows hickory.
