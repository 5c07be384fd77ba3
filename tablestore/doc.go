// Package tablestore is the on-disk storage of goka tables: a
// goka storage.Storage on goleveldb, like goka's own, that writes records in
// batches instead of one Put each.
//
// # Format
//
// The on-disk format is goka's: one leveldb database per topic and partition
// in <dir>/<topic>.<partition>, the rows under their keys, and the partition's
// offset under goka's offset key as a decimal string. A directory written by
// goka's storage.DefaultBuilder can be opened by Builder and the other way
// round.
//
// # Buffering
//
// Set, Delete and SetOffset are buffered in memory, the latest write of each
// key, and written to leveldb in one atomic write, the offset with the rows
// it covers. While a partition recovers (from Open until MarkRecovered) the
// buffer is written when it is large, on MarkRecovered and on Close: a table
// topic holds many versions of a row, only the versions that are the latest
// in their buffer reach leveldb, and a buffer larger than leveldb's memtable
// goes in as sorted tables, without the journal. Once recovered, the buffer
// is written whenever Options.RunBytes have been written since the last
// write (at the next SetOffset): a busy partition rewrites a few rows many
// times, and one leveldb write (one journal write(2)) for a batch of them
// replaces one per record. Reads always see the buffered writes. The stored
// offset is never ahead of the stored rows: a crash loses at most the
// buffered records, which goka reads again from the table topic.
//
// # Concurrency and errors
//
// Every method of a Store is safe for concurrent use (goka calls SetOffset
// from producer callbacks while a partition's goroutine calls Set, and views
// read while they update); one mutex guards the buffer, and a write that
// flushes it holds the mutex, so other calls wait for that leveldb write.
// An iterator is for one goroutine, over a snapshot that later writes do not
// change. After Close, every method but Close and Open returns ErrClosed;
// errors of leveldb are returned wrapped, and a failed flush leaves the
// buffer in place to be written again. The builders may be called
// concurrently, for different topics or partitions.
package tablestore
