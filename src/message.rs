//! Message inspection (RFC 5322, MIME RFC 2045-2049): the only module that knows mail-parser;
//! everything else sees mailkit's own types.
