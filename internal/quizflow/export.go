package quizflow

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"time"
)

// Bounds of export options.
const (
	DefaultPointsPerQuestion = 1
	MaxPointsPerQuestion     = 1000
)

// ExportOptions tune how a quiz is rendered into a file (export.Render).
// The zero value is usable.
type ExportOptions struct {
	// PointsPerQuestion is the score of a question whose own Points is
	// zero. Normalize turns zero into DefaultPointsPerQuestion; export.Render
	// reads zero or negative as 1.
	PointsPerQuestion float64 `json:"points_per_question"`
	// ShuffleAnswers asks for answer options in random order. Formats with
	// an LMS shuffle flag (QTI 1.2, QTI 2.1, Moodle XML) set the flag and
	// keep the authored order in the file; the others (GIFT, Aiken,
	// Blackboard, CSV, HTML) reorder the options in the file with a shuffle
	// seeded from the quiz ID, version and question ID, so a re-render of
	// the same quiz version gives the same file.
	ShuffleAnswers bool `json:"shuffle_answers"`
	// IncludeFeedback writes each question's explanation as its general
	// feedback (or into the answer key of the HTML page).
	IncludeFeedback bool `json:"include_feedback"`
}

// Normalize fills defaults and validates o. It returns an EINVALID error
// naming the offending field.
func (o *ExportOptions) Normalize() error {
	if o.PointsPerQuestion == 0 {
		o.PointsPerQuestion = DefaultPointsPerQuestion
	}
	p := o.PointsPerQuestion
	if math.IsNaN(p) || math.IsInf(p, 0) || p <= 0 || p > MaxPointsPerQuestion {
		return Invalid("options.points_per_question", "points_per_question must be more than 0 and at most %d.", MaxPointsPerQuestion)
	}
	return nil
}

// canonical returns o as a stable string, for cache keys.
func (o ExportOptions) canonical() string {
	return "points=" + strconv.FormatFloat(o.PointsPerQuestion, 'g', -1, 64) +
		";shuffle=" + strconv.FormatBool(o.ShuffleAnswers) +
		";feedback=" + strconv.FormatBool(o.IncludeFeedback)
}

// Export is one rendering of one version of a quiz into one format, and
// the file it produced.
type Export struct {
	ID          string        `json:"id"`
	OwnerID     string        `json:"owner_id"`
	QuizID      string        `json:"quiz_id"`
	DocumentID  string        `json:"document_id,omitempty"`
	QuizVersion int           `json:"quiz_version"`
	Format      string        `json:"format"`
	Options     ExportOptions `json:"options"`
	// Status is one of StatusQueued, StatusRunning, StatusSucceeded and
	// StatusFailed.
	Status string `json:"status"`
	// JobID is the job that builds (or built) the file.
	JobID       string   `json:"job_id"`
	FileName    string   `json:"file_name,omitempty"`
	ContentType string   `json:"content_type,omitempty"`
	Size        int64    `json:"size"`
	BlobKey     string   `json:"-"`
	Warnings    []string `json:"warnings"`
	// CacheKey identifies the quiz version, format and options rendered;
	// see ExportCacheKey.
	CacheKey  string    `json:"-"`
	Error     *JobError `json:"error"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Ready reports whether the export's file can be downloaded.
func (e *Export) Ready() bool { return e.Status == StatusSucceeded && e.BlobKey != "" }

// ExportFile is the file a finished export rendering made, recorded on its
// export when the job that built it succeeds.
type ExportFile struct {
	QuizVersion int
	CacheKey    string
	FileName    string
	ContentType string
	Size        int64
	BlobKey     string
	Warnings    []string
}

// ExportCacheKey identifies an export by what determines its bytes: the
// quiz, its version, the format and the normalized options. Rendering is
// deterministic, so two exports with one key hold the same file.
func ExportCacheKey(quizID string, version int, format string, o ExportOptions) string {
	h := sha256.New()
	for _, part := range []string{"export/v1", quizID, strconv.Itoa(version), format, o.canonical()} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ExportIDFor derives the ID of owner's export with cache key key, so an
// identical request finds the existing export by _id (the one lookup every
// store serves fast) and two racing requests claim the same record.
func ExportIDFor(owner, key string) string {
	sum := sha256.Sum256([]byte("export-id\x00" + owner + "\x00" + key))
	return "exp_" + idEncoding.EncodeToString(sum[:15])
}
