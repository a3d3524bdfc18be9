package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// CreateDocument inserts d.
func (s *Store) CreateDocument(ctx context.Context, d *quizflow.Document) error {
	d.CreatedAt, d.UpdatedAt = s.now(), s.now()
	if _, err := s.db.Collection(colDocuments).InsertOne(ctx, newDocumentRecord(d)); err != nil {
		return fmt.Errorf("insert document: %w", err)
	}
	return nil
}

// Document returns document id if owner owns it (owner "" skips the check),
// or ENOTFOUND.
func (s *Store) Document(ctx context.Context, id, owner string) (*quizflow.Document, error) {
	var r documentRecord
	if err := s.findOwned(ctx, colDocuments, id, owner, "document", &r); err != nil {
		return nil, err
	}
	d := r.domain()
	return &d, nil
}

// Documents returns a page of owner's documents, newest first, and the
// next page's cursor. It returns EINVALID for a bad cursor.
func (s *Store) Documents(ctx context.Context, owner string, p quizflow.PageRequest) ([]quizflow.Document, string, error) {
	return pageOwned(ctx, s, colDocuments, owner, p, nil, documentRecord.domain)
}

// SetDocumentStatus sets the status of document id; ENOTFOUND if it is gone.
func (s *Store) SetDocumentStatus(ctx context.Context, id, status string) error {
	return s.updateDocument(ctx, id, bson.M{"status": status})
}

// SetDocumentExtracted records the extracted text's blob key and size;
// ENOTFOUND if the document is gone.
func (s *Store) SetDocumentExtracted(ctx context.Context, id, textKey string, pages, words int) error {
	return s.updateDocument(ctx, id, bson.M{
		"status": quizflow.DocumentExtracted, "text_key": textKey, "page_count": pages, "word_count": words,
	})
}

func (s *Store) updateDocument(ctx context.Context, id string, set bson.M) error {
	set["updated_at"] = s.now()
	res, err := s.db.Collection(colDocuments).UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": set})
	if err != nil {
		return fmt.Errorf("update document: %w", err)
	}
	if res.MatchedCount == 0 {
		return quizflow.Errorf(quizflow.ENOTFOUND, "The document was deleted.")
	}
	return nil
}

// DeleteDocument removes document id.
func (s *Store) DeleteDocument(ctx context.Context, id string) error {
	if _, err := s.db.Collection(colDocuments).DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return fmt.Errorf("delete document: %w", err)
	}
	return nil
}
