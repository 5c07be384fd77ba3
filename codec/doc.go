// Package codec is the one definition of chatstate's wire format: the events
// written to the events topic, the derived presence records, the room and user
// state rows kept in the group tables, and the dead-letter records; their goka
// codecs; and the validation rules for names and text.
//
// # Versioning
//
// Every JSON record carries a "v" field. Decoders are strict: unknown
// fields, a missing or unknown version, or a value of the wrong JSON type
// are rejected with an error wrapping ErrDecode, so that a record written by
// another producer never enters the fold half-understood. A future format
// bumps the version and teaches the decoders to read both. Room rows are
// the exception to JSON: since version 3 they are binary (roombin.go), with
// the version in their second byte, and versions 1 and 2 are still read.
//
// # Dependencies
//
// Besides the standard library the package uses the JSON v2 prototype,
// github.com/go-json-experiment/json, for its speed and its strict defaults
// (see json.go). The codecs satisfy
// goka.Codec structurally; type assertions on goka's interface{} values live
// here, in the As* helpers.
package codec
