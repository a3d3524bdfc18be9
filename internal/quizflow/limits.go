package quizflow

import "context"

// UploadLimits is what a user may upload now, for a client to check a
// file before sending it.
type UploadLimits struct {
	Plan         string `json:"plan"`
	MaxFileSize  int64  `json:"max_file_size"`
	MaxPages     int    `json:"max_pages"`
	MaxQuestions int    `json:"max_questions"`
	// AcceptedTypes are the kinds QuizFlow reads (decided from the bytes;
	// extensions and media types are hints for a file picker).
	AcceptedTypes []FileType `json:"accepted_types"`
}

// FileType is one readable kind of document.
type FileType struct {
	Kind         string   `json:"kind"`
	Extensions   []string `json:"extensions"`
	ContentTypes []string `json:"content_types"`
}

// LimitsService tells a user their upload limits.
type LimitsService interface {
	// UploadLimits returns the limits of user's plan now, the server's
	// own MAX_FILE_SIZE applied.
	UploadLimits(ctx context.Context, user *User) (*UploadLimits, error)
}
