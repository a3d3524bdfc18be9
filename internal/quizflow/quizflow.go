// Package quizflow holds the domain of QuizFlow: users, documents, jobs,
// quizzes and questions, and the one error type that every layer speaks.
//
// It depends on no adapter (no Echo, asynq, MongoDB or S3 types); adapters
// depend on it. Its types are JSON-shaped only: struct tags name the fields
// of the public API. How a type is stored is the store's business, so
// mongostore owns its BSON records and converts them to and from these types.
package quizflow

import "time"

// Plans a user can be on.
const (
	PlanFree = "free"
	PlanPro  = "pro"
)

// User is an account holder.
type User struct {
	ID           string `json:"id"`
	Email        string `json:"email"` // as typed
	EmailKey     string `json:"-"`     // lower-cased, unique
	Name         string `json:"name"`
	PasswordHash string `json:"-"`
	Plan         string `json:"plan"`
	Admin        bool   `json:"admin,omitempty"` // an operator: granted by `quizflow admin grant`
	// EmailVerified is set once the owner of Email opened a verification
	// link sent to it; changing the address clears it.
	EmailVerified bool `json:"email_verified"`
	// EmailStatus is EmailOK or EmailBouncing.
	EmailStatus string `json:"email_status"`
	// NotificationsOff lists the notification kinds the user turned off.
	NotificationsOff []string  `json:"-"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
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
	ID          string          `json:"id"`
	OwnerID     string          `json:"owner_id"`
	Filename    string          `json:"filename"`
	Kind        string          `json:"kind"`
	ContentType string          `json:"content_type"`
	Size        int64           `json:"size"`
	SHA256      string          `json:"sha256"`
	BlobKey     string          `json:"-"`
	TextKey     string          `json:"-"`
	Status      string          `json:"status"`
	PageCount   int             `json:"page_count"`
	WordCount   int             `json:"word_count"`
	Options     GenerateOptions `json:"options"`
	// QuotaCharge, on a received upload not yet submitted, is the ID of
	// the quota unit charged for its first quiz: that job's ID.
	QuotaCharge string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Page is the text of one page (or, for formats without pages, one section)
// as a person reads it. Numbers start at 1.
type Page struct {
	Number int    `json:"number"`
	Text   string `json:"text"`
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
	QuestionCount int      `json:"question_count"`
	QuestionTypes []string `json:"question_types,omitempty"`
	Difficulty    string   `json:"difficulty"`
	BloomLevels   []string `json:"bloom_levels,omitempty"`
	Language      string   `json:"language"`
	Instructions  string   `json:"instructions,omitempty"`
	// Fresh asks for a new quiz even when an identical one exists.
	Fresh bool `json:"fresh,omitempty"`
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
	ID         string    `json:"id"`
	OwnerID    string    `json:"-"`
	Kind       string    `json:"kind"`
	Status     string    `json:"status"`
	Stage      string    `json:"stage"`
	Progress   int       `json:"progress"` // percent, 0-100
	Message    string    `json:"message,omitempty"`
	Error      *JobError `json:"error"`
	Result     JobResult `json:"result"`
	DocumentID string    `json:"document_id,omitempty"`
	QuizID     string    `json:"quiz_id,omitempty"`
	QuestionID string    `json:"question_id,omitempty"`
	ExportID   string    `json:"export_id,omitempty"`
	// Options are the generation options of a quiz job.
	Options   *GenerateOptions `json:"options,omitempty"`
	RequestID string           `json:"-"`
	Attempts  int              `json:"attempts"`
	Usage     *Usage           `json:"usage,omitempty"`
	Warnings  []string         `json:"warnings,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// JobError is why a job failed, written for a person.
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// JobResult names what a finished job made.
type JobResult struct {
	QuizID     string `json:"quiz_id,omitempty"`
	QuestionID string `json:"question_id,omitempty"`
	ExportID   string `json:"export_id,omitempty"`
}

// Usage is what generation cost.
type Usage struct {
	Model            string  `json:"model"`
	Calls            int     `json:"calls"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	CostUSD          float64 `json:"cost_usd"`
	Cached           bool    `json:"cached,omitempty"`
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
	ID         string          `json:"id"`
	OwnerID    string          `json:"owner_id"`
	DocumentID string          `json:"document_id"`
	JobID      string          `json:"job_id"`
	Title      string          `json:"title"`
	Language   string          `json:"language"`
	Options    GenerateOptions `json:"options"`
	Questions  []Question      `json:"questions"`
	Usage      Usage           `json:"usage"`
	Warnings   []string        `json:"warnings,omitempty"`
	// CacheKey identifies the document content, options and owner that made
	// this quiz, so an identical request can reuse it.
	CacheKey string `json:"-"`
	// Version grows by one on every edit; exports are keyed by it.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
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
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	Prompt      string   `json:"prompt"`
	Options     []Option `json:"options"`
	Answers     []string `json:"answers"`
	Pairs       []Pair   `json:"pairs,omitempty"`
	Explanation string   `json:"explanation"`
	Source      Source   `json:"source"`
	Verified    bool     `json:"verified"`
	Difficulty  string   `json:"difficulty,omitempty"`
	BloomLevel  string   `json:"bloom_level,omitempty"`
	Points      float64  `json:"points,omitempty"`
}

// Option is one choice of a choice question.
type Option struct {
	ID      string `json:"id"`
	Text    string `json:"text"`
	Correct bool   `json:"correct"`
}

// Pair is one prompt-answer pair of a matching question.
type Pair struct {
	Left  string `json:"left"`
	Right string `json:"right"`
}

// Source is where in the document a question is grounded.
type Source struct {
	Page  int    `json:"page"`
	Quote string `json:"quote"`
}

// RefreshToken is the server-side record of one issued refresh token.
// Tokens of one login form a family: each use consumes the token and issues
// the next of the family; presenting a consumed token again revokes the
// whole family, since either the user or a thief holds a copy.
type RefreshToken struct {
	ID        string
	FamilyID  string
	UserID    string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

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
