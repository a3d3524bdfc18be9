// Package quizflow holds the domain of QuizFlow: users, documents, jobs,
// quizzes and questions, and the one error type that every layer speaks.
//
// It depends on no adapter (no Echo, asynq, MongoDB or S3 types); adapters
// depend on it. Struct tags name the JSON fields of the public API and the
// BSON fields of stored records, which are the same on purpose.
package quizflow

import "time"

// Plans a user can be on.
const (
	PlanFree = "free"
	PlanPro  = "pro"
)

// User is an account holder.
type User struct {
	ID           string    `json:"id" bson:"_id"`
	Email        string    `json:"email" bson:"email"` // as typed
	EmailKey     string    `json:"-" bson:"email_key"` // lower-cased, unique
	Name         string    `json:"name" bson:"name"`
	PasswordHash string    `json:"-" bson:"password_hash"`
	Plan         string    `json:"plan" bson:"plan"`
	Admin        bool      `json:"admin,omitempty" bson:"-"` // derived from ADMIN_EMAILS, never stored
	CreatedAt    time.Time `json:"created_at" bson:"created_at"`
	UpdatedAt    time.Time `json:"updated_at" bson:"updated_at"`
}

// Kinds of document content, decided from the bytes, never the file name.
const (
	KindPDF      = "pdf"
	KindDOCX     = "docx"
	KindText     = "text"
	KindMarkdown = "markdown"
)

// Document statuses.
const (
	DocumentUploaded   = "uploaded"
	DocumentExtracting = "extracting"
	DocumentExtracted  = "extracted"
	DocumentFailed     = "failed"
)

// Document is an uploaded file and what was learnt from it.
type Document struct {
	ID          string          `json:"id" bson:"_id"`
	OwnerID     string          `json:"owner_id" bson:"owner_id"`
	Filename    string          `json:"filename" bson:"filename"`
	Kind        string          `json:"kind" bson:"kind"`
	ContentType string          `json:"content_type" bson:"content_type"`
	Size        int64           `json:"size" bson:"size"`
	SHA256      string          `json:"sha256" bson:"sha256"`
	BlobKey     string          `json:"-" bson:"blob_key"`
	TextKey     string          `json:"-" bson:"text_key,omitempty"`
	Status      string          `json:"status" bson:"status"`
	PageCount   int             `json:"page_count" bson:"page_count"`
	WordCount   int             `json:"word_count" bson:"word_count"`
	Options     GenerateOptions `json:"options" bson:"options"`
	CreatedAt   time.Time       `json:"created_at" bson:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at" bson:"updated_at"`
}

// Page is the text of one page (or, for formats without pages, one section)
// as a person reads it. Numbers start at 1.
type Page struct {
	Number int    `json:"number" bson:"number"`
	Text   string `json:"text" bson:"text"`
}

// Difficulty levels.
const (
	DifficultyEasy   = "easy"
	DifficultyMedium = "medium"
	DifficultyHard   = "hard"
	DifficultyMixed  = "mixed"
)

// GenerateOptions say what quiz to make from a document.
type GenerateOptions struct {
	QuestionCount int      `json:"question_count" bson:"question_count"`
	QuestionTypes []string `json:"question_types,omitempty" bson:"question_types,omitempty"`
	Difficulty    string   `json:"difficulty" bson:"difficulty"`
	BloomLevels   []string `json:"bloom_levels,omitempty" bson:"bloom_levels,omitempty"`
	Language      string   `json:"language" bson:"language"`
	Instructions  string   `json:"instructions,omitempty" bson:"instructions,omitempty"`
	// Fresh asks for a new quiz even when an identical one exists.
	Fresh bool `json:"fresh,omitempty" bson:"fresh,omitempty"`
}

// Job kinds.
const (
	JobQuiz       = "quiz"       // extract a document, then generate a quiz
	JobRegenerate = "regenerate" // replace one question
	JobExport     = "export"     // render a quiz to a file
)

// Job statuses.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Job stages of a quiz job, in order.
const (
	StageQueued     = "queued"
	StageExtracting = "extracting"
	StageGenerating = "generating"
	StageSaving     = "saving"
	StageExporting  = "exporting"
	StageDone       = "done"
)

// Job is a unit of asynchronous work a user can poll.
type Job struct {
	ID         string    `json:"id" bson:"_id"`
	OwnerID    string    `json:"-" bson:"owner_id"`
	Kind       string    `json:"kind" bson:"kind"`
	Status     string    `json:"status" bson:"status"`
	Stage      string    `json:"stage" bson:"stage"`
	Progress   int       `json:"progress" bson:"progress"` // percent, 0-100
	Message    string    `json:"message,omitempty" bson:"message,omitempty"`
	Error      *JobError `json:"error" bson:"error,omitempty"`
	Result     JobResult `json:"result" bson:"result"`
	DocumentID string    `json:"document_id,omitempty" bson:"document_id,omitempty"`
	QuizID     string    `json:"quiz_id,omitempty" bson:"quiz_id,omitempty"`
	QuestionID string    `json:"question_id,omitempty" bson:"question_id,omitempty"`
	ExportID   string    `json:"export_id,omitempty" bson:"export_id,omitempty"`
	// Options are the generation options of a quiz job.
	Options   *GenerateOptions `json:"options,omitempty" bson:"options,omitempty"`
	RequestID string           `json:"-" bson:"request_id,omitempty"`
	Attempts  int              `json:"attempts" bson:"attempts"`
	Usage     *Usage           `json:"usage,omitempty" bson:"usage,omitempty"`
	Warnings  []string         `json:"warnings,omitempty" bson:"warnings,omitempty"`
	CreatedAt time.Time        `json:"created_at" bson:"created_at"`
	UpdatedAt time.Time        `json:"updated_at" bson:"updated_at"`
}

// JobError is why a job failed, written for a person.
type JobError struct {
	Code    string `json:"code" bson:"code"`
	Message string `json:"message" bson:"message"`
}

// JobResult names what a finished job made.
type JobResult struct {
	QuizID     string `json:"quiz_id,omitempty" bson:"quiz_id,omitempty"`
	QuestionID string `json:"question_id,omitempty" bson:"question_id,omitempty"`
	ExportID   string `json:"export_id,omitempty" bson:"export_id,omitempty"`
}

// Usage is what generation cost.
type Usage struct {
	Model            string  `json:"model" bson:"model"`
	Calls            int     `json:"calls" bson:"calls"`
	PromptTokens     int     `json:"prompt_tokens" bson:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens" bson:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd" bson:"cost_usd"`
	Cached           bool    `json:"cached,omitempty" bson:"cached,omitempty"`
}

// Add accumulates o into u.
func (u *Usage) Add(o Usage) {
	if u.Model == "" {
		u.Model = o.Model
	}
	u.Calls += o.Calls
	u.PromptTokens += o.PromptTokens
	u.CompletionTokens += o.CompletionTokens
	u.CostUSD += o.CostUSD
}

// Quiz is a set of questions made from one document.
type Quiz struct {
	ID         string          `json:"id" bson:"_id"`
	OwnerID    string          `json:"owner_id" bson:"owner_id"`
	DocumentID string          `json:"document_id" bson:"document_id"`
	JobID      string          `json:"job_id" bson:"job_id"`
	Title      string          `json:"title" bson:"title"`
	Language   string          `json:"language" bson:"language"`
	Options    GenerateOptions `json:"options" bson:"options"`
	Questions  []Question      `json:"questions" bson:"questions"`
	Usage      Usage           `json:"usage" bson:"usage"`
	Warnings   []string        `json:"warnings,omitempty" bson:"warnings,omitempty"`
	// CacheKey identifies the document content, options and owner that made
	// this quiz, so an identical request can reuse it.
	CacheKey string `json:"-" bson:"cache_key,omitempty"`
	// Version grows by one on every edit; exports are keyed by it.
	Version   int       `json:"version" bson:"version"`
	CreatedAt time.Time `json:"created_at" bson:"created_at"`
	UpdatedAt time.Time `json:"updated_at" bson:"updated_at"`
}

// Question types.
const (
	MultipleChoice = "multiple_choice"
	MultipleAnswer = "multiple_answer"
	TrueFalse      = "true_false"
	ShortAnswer    = "short_answer"
	FillInBlank    = "fill_in_blank"
	Matching       = "matching"
	Essay          = "essay"
)

// QuestionTypes lists every question type.
var QuestionTypes = []string{MultipleChoice, MultipleAnswer, TrueFalse, ShortAnswer, FillInBlank, Matching, Essay}

// BlankMarker marks the gap in a fill-in-the-blank prompt.
const BlankMarker = "_____"

// Question is one quiz item.
//
// Per type: multiple_choice and multiple_answer use Options with Correct
// set; true_false has the options "True" and "False"; short_answer and
// fill_in_blank list accepted Answers (a fill_in_blank prompt holds
// BlankMarker); matching uses Pairs; essay has neither (Answers may hold a
// model answer for graders).
type Question struct {
	ID          string   `json:"id" bson:"id"`
	Type        string   `json:"type" bson:"type"`
	Prompt      string   `json:"prompt" bson:"prompt"`
	Options     []Option `json:"options" bson:"options"`
	Answers     []string `json:"answers" bson:"answers"`
	Pairs       []Pair   `json:"pairs,omitempty" bson:"pairs,omitempty"`
	Explanation string   `json:"explanation" bson:"explanation"`
	Source      Source   `json:"source" bson:"source"`
	Verified    bool     `json:"verified" bson:"verified"`
	Difficulty  string   `json:"difficulty,omitempty" bson:"difficulty,omitempty"`
	BloomLevel  string   `json:"bloom_level,omitempty" bson:"bloom_level,omitempty"`
	Points      float64  `json:"points,omitempty" bson:"points,omitempty"`
}

// Option is one choice of a choice question.
type Option struct {
	ID      string `json:"id" bson:"id"`
	Text    string `json:"text" bson:"text"`
	Correct bool   `json:"correct" bson:"correct"`
}

// Pair is one prompt-answer pair of a matching question.
type Pair struct {
	Left  string `json:"left" bson:"left"`
	Right string `json:"right" bson:"right"`
}

// Source is where in the document a question is grounded.
type Source struct {
	Page  int    `json:"page" bson:"page"`
	Quote string `json:"quote" bson:"quote"`
}

// RefreshToken is the server-side record of one issued refresh token.
// Tokens of one login form a family: each use consumes the token and issues
// the next of the family; presenting a consumed token again revokes the
// whole family, since either the user or a thief holds a copy.
type RefreshToken struct {
	ID        string     `bson:"_id"`
	FamilyID  string     `bson:"family_id"`
	UserID    string     `bson:"user_id"`
	ExpiresAt time.Time  `bson:"expires_at"`
	UsedAt    *time.Time `bson:"used_at"`
	CreatedAt time.Time  `bson:"created_at"`
}

// OriginalKey is the blob key of the uploaded file of document id of owner.
func OriginalKey(owner, id string) string { return "documents/" + owner + "/" + id + "/original" }

// TextKey is the blob key of the extracted text (JSON {pages}) of document
// id of owner.
func TextKey(owner, id string) string { return "documents/" + owner + "/" + id + "/text.json" }

// Listing bounds.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// PageRequest asks for one page of a listing, newest first. Cursor is the
// opaque NextCursor of the previous page, or "" for the first.
type PageRequest struct {
	Limit  int
	Cursor string
}

// FillEmptyLists replaces nil lists with empty ones, so every question
// serialises options and answers as [] rather than null.
func (q *Quiz) FillEmptyLists() {
	if q.Questions == nil {
		q.Questions = []Question{}
	}
	for i := range q.Questions {
		qu := &q.Questions[i]
		if qu.Options == nil {
			qu.Options = []Option{}
		}
		if qu.Answers == nil {
			qu.Answers = []string{}
		}
	}
}

// DocumentText is the stored form of a document's extracted text, as
// GET /v1/documents/{id}/text serves it.
type DocumentText struct {
	Pages []Page `json:"pages"`
}

// MaxTextBytes bounds a stored DocumentText read back.
const MaxTextBytes = 64 << 20
