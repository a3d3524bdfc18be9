package s3blob

import (
	"context"
	"io"
	"strings"
)

// The key layout of QuizFlow's files. Records keep the keys these return;
// only this package builds them.

// OriginalKey is the key of the uploaded file of owner's document id.
func OriginalKey(owner, id string) string { return "documents/" + owner + "/" + id + "/original" }

// TextKey is the key of the extracted text (JSON {pages}) of owner's
// document id.
func TextKey(owner, id string) string { return "documents/" + owner + "/" + id + "/text.json" }

// ExportKey is the key of the file of owner's export id.
func ExportKey(owner, id, filename string) string {
	return "exports/" + owner + "/" + id + "/" + strings.ReplaceAll(filename, "/", "_")
}

// MaxTextBytes bounds a stored document text read back.
const MaxTextBytes = 64 << 20

// UploadOriginal streams r, the uploaded file of owner's document docID, to
// its key and returns the key.
func (s *Store) UploadOriginal(ctx context.Context, owner, docID string, r io.Reader, contentType string) (string, error) {
	key := OriginalKey(owner, docID)
	return key, s.Upload(ctx, key, r, contentType)
}

// PutExport stores the file of owner's export exportID and returns its key.
func (s *Store) PutExport(ctx context.Context, owner, exportID, filename string, data []byte, contentType string) (string, error) {
	key := ExportKey(owner, exportID, filename)
	return key, s.Put(ctx, key, data, contentType)
}

// DeleteDocumentFiles removes the upload and the text of owner's document
// docID, whether or not its record names them yet.
func (s *Store) DeleteDocumentFiles(ctx context.Context, owner, docID string) error {
	return s.Delete(ctx, OriginalKey(owner, docID), TextKey(owner, docID))
}
