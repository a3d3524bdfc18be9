package mongostore

import (
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// The records below are what the collections hold. The domain types carry
// JSON tags only; the stored field names live here, and they are the names
// existing databases already use: change one and old records stop reading.
//
// A leaf record (no nested record inside) has exactly the fields of its
// domain type, in the same order, so the two convert with a plain type
// conversion; a field added to the domain type then breaks the build here
// until the record gets it too. Records holding other records convert field
// by field.

type userRecord struct {
	ID           string `bson:"_id"`
	Email        string `bson:"email"`
	EmailKey     string `bson:"email_key"`
	Name         string `bson:"name"`
	PasswordHash string `bson:"password_hash"`
	Plan         string `bson:"plan"`
	// Admin is granted and revoked by the operators' CLI only.
	Admin            bool      `bson:"admin,omitempty"`
	EmailVerified    bool      `bson:"email_verified,omitempty"`
	EmailStatus      string    `bson:"email_status,omitempty"`
	NotificationsOff []string  `bson:"notifications_off,omitempty"`
	CreatedAt        time.Time `bson:"created_at"`
	UpdatedAt        time.Time `bson:"updated_at"`
	// MailSeq counts, per cause, the messages asked for (mongostore's
	// NextMailSeq), so each gets its own message ID. Not in the domain.
	MailSeq map[string]int `bson:"mail_seq,omitempty"`
}

func newUserRecord(u *quizflow.User) userRecord {
	return userRecord{
		ID: u.ID, Email: u.Email, EmailKey: u.EmailKey, Name: u.Name, PasswordHash: u.PasswordHash,
		Plan: u.Plan, Admin: u.Admin, EmailVerified: u.EmailVerified, EmailStatus: u.EmailStatus,
		NotificationsOff: u.NotificationsOff, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

func (r userRecord) domain() quizflow.User {
	return quizflow.User{
		ID: r.ID, Email: r.Email, EmailKey: r.EmailKey, Name: r.Name, PasswordHash: r.PasswordHash,
		Plan: r.Plan, Admin: r.Admin, EmailVerified: r.EmailVerified, EmailStatus: r.EmailStatus,
		NotificationsOff: r.NotificationsOff, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

type apiKeyRecord struct {
	ID         string     `bson:"_id"`
	OwnerID    string     `bson:"owner_id"`
	Name       string     `bson:"name"`
	Scopes     []string   `bson:"scopes"`
	Prefix     string     `bson:"prefix"`
	Hash       string     `bson:"hash"`
	ExpiresAt  *time.Time `bson:"expires_at,omitempty"`
	LastUsedAt *time.Time `bson:"last_used_at,omitempty"`
	CreatedAt  time.Time  `bson:"created_at"`
}

func newAPIKeyRecord(k *quizflow.APIKey) apiKeyRecord { return apiKeyRecord(*k) }

func (r apiKeyRecord) domain() quizflow.APIKey { return quizflow.APIKey(r) }

type refreshTokenRecord struct {
	ID        string     `bson:"_id"`
	FamilyID  string     `bson:"family_id"`
	UserID    string     `bson:"user_id"`
	ExpiresAt time.Time  `bson:"expires_at"`
	UsedAt    *time.Time `bson:"used_at"` // null until used; queries match on it
	CreatedAt time.Time  `bson:"created_at"`
}

type documentRecord struct {
	ID          string                `bson:"_id"`
	OwnerID     string                `bson:"owner_id"`
	Filename    string                `bson:"filename"`
	Kind        string                `bson:"kind"`
	ContentType string                `bson:"content_type"`
	Size        int64                 `bson:"size"`
	SHA256      string                `bson:"sha256"`
	BlobKey     string                `bson:"blob_key"`
	TextKey     string                `bson:"text_key,omitempty"`
	Status      string                `bson:"status"`
	PageCount   int                   `bson:"page_count"`
	WordCount   int                   `bson:"word_count"`
	Options     generateOptionsRecord `bson:"options"`
	CreatedAt   time.Time             `bson:"created_at"`
	UpdatedAt   time.Time             `bson:"updated_at"`
}

func newDocumentRecord(d *quizflow.Document) documentRecord {
	return documentRecord{
		ID: d.ID, OwnerID: d.OwnerID, Filename: d.Filename, Kind: d.Kind, ContentType: d.ContentType,
		Size: d.Size, SHA256: d.SHA256, BlobKey: d.BlobKey, TextKey: d.TextKey, Status: d.Status,
		PageCount: d.PageCount, WordCount: d.WordCount, Options: generateOptionsRecord(d.Options),
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

func (r documentRecord) domain() quizflow.Document {
	return quizflow.Document{
		ID: r.ID, OwnerID: r.OwnerID, Filename: r.Filename, Kind: r.Kind, ContentType: r.ContentType,
		Size: r.Size, SHA256: r.SHA256, BlobKey: r.BlobKey, TextKey: r.TextKey, Status: r.Status,
		PageCount: r.PageCount, WordCount: r.WordCount, Options: quizflow.GenerateOptions(r.Options),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

type generateOptionsRecord struct {
	QuestionCount int      `bson:"question_count"`
	QuestionTypes []string `bson:"question_types,omitempty"`
	Difficulty    string   `bson:"difficulty"`
	BloomLevels   []string `bson:"bloom_levels,omitempty"`
	Language      string   `bson:"language"`
	Instructions  string   `bson:"instructions,omitempty"`
	Fresh         bool     `bson:"fresh,omitempty"`
}

type jobRecord struct {
	ID         string                 `bson:"_id"`
	OwnerID    string                 `bson:"owner_id"`
	Kind       string                 `bson:"kind"`
	Status     string                 `bson:"status"`
	Stage      string                 `bson:"stage"`
	Progress   int                    `bson:"progress"`
	Message    string                 `bson:"message,omitempty"`
	Error      *jobErrorRecord        `bson:"error,omitempty"`
	Result     jobResultRecord        `bson:"result"`
	DocumentID string                 `bson:"document_id,omitempty"`
	QuizID     string                 `bson:"quiz_id,omitempty"`
	QuestionID string                 `bson:"question_id,omitempty"`
	ExportID   string                 `bson:"export_id,omitempty"`
	Options    *generateOptionsRecord `bson:"options,omitempty"`
	RequestID  string                 `bson:"request_id,omitempty"`
	Attempts   int                    `bson:"attempts"`
	Usage      *usageRecord           `bson:"usage,omitempty"`
	Warnings   []string               `bson:"warnings,omitempty"`
	CreatedAt  time.Time              `bson:"created_at"`
	UpdatedAt  time.Time              `bson:"updated_at"`
}

func newJobRecord(j *quizflow.Job) jobRecord {
	r := jobRecord{
		ID: j.ID, OwnerID: j.OwnerID, Kind: j.Kind, Status: j.Status, Stage: j.Stage,
		Progress: j.Progress, Message: j.Message, Error: newJobErrorRecord(j.Error),
		Result: jobResultRecord(j.Result), DocumentID: j.DocumentID, QuizID: j.QuizID,
		QuestionID: j.QuestionID, ExportID: j.ExportID, RequestID: j.RequestID,
		Attempts: j.Attempts, Usage: newUsageRecord(j.Usage), Warnings: j.Warnings,
		CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt,
	}
	if j.Options != nil {
		o := generateOptionsRecord(*j.Options)
		r.Options = &o
	}
	return r
}

func (r jobRecord) domain() quizflow.Job {
	j := quizflow.Job{
		ID: r.ID, OwnerID: r.OwnerID, Kind: r.Kind, Status: r.Status, Stage: r.Stage,
		Progress: r.Progress, Message: r.Message, Error: r.Error.domain(),
		Result: quizflow.JobResult(r.Result), DocumentID: r.DocumentID, QuizID: r.QuizID,
		QuestionID: r.QuestionID, ExportID: r.ExportID, RequestID: r.RequestID,
		Attempts: r.Attempts, Usage: r.Usage.domain(), Warnings: r.Warnings,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.Options != nil {
		o := quizflow.GenerateOptions(*r.Options)
		j.Options = &o
	}
	return j
}

// callRecord is one model call of a job, in colCalls: its _id is the
// job's ID, "/" and the caller's call key (see Store.RecordCall), so a
// job's calls are one _id range. Calls is 1 but for a model that reported
// several calls at once.
type callRecord struct {
	ID               string    `bson:"_id"`
	JobID            string    `bson:"job_id"`
	Model            string    `bson:"model"`
	Calls            int       `bson:"calls"`
	PromptTokens     int       `bson:"prompt_tokens"`
	CompletionTokens int       `bson:"completion_tokens"`
	CostUSD          float64   `bson:"cost_usd"`
	At               time.Time `bson:"at"`
}

// callIndexRecord is entry N of a job's call index, in llm_call_index:
// its _id is the job's ID, "#" and N (0, 1, ...), taken by inserting the
// first free N, so a job's entries are read one _id at a time until the
// first missing one, never by a range (FerretDB's SQLite backend pushes
// down only _id equality). It carries the call's usage; a call recorded
// twice has two entries with the same Call, counted once.
type callIndexRecord struct {
	ID               string    `bson:"_id"`
	Call             string    `bson:"call"` // the callRecord's _id
	Model            string    `bson:"model"`
	Calls            int       `bson:"calls"`
	PromptTokens     int       `bson:"prompt_tokens"`
	CompletionTokens int       `bson:"completion_tokens"`
	CostUSD          float64   `bson:"cost_usd"`
	At               time.Time `bson:"at"`
}

type jobErrorRecord struct {
	Code    string `bson:"code"`
	Message string `bson:"message"`
}

// newJobErrorRecord returns nil for nil, the absent error of a job or export.
func newJobErrorRecord(e *quizflow.JobError) *jobErrorRecord {
	return mapPtr(e, func(e quizflow.JobError) jobErrorRecord { return jobErrorRecord(e) })
}

func (r *jobErrorRecord) domain() *quizflow.JobError {
	return mapPtr(r, func(r jobErrorRecord) quizflow.JobError { return quizflow.JobError(r) })
}

type jobResultRecord struct {
	QuizID     string `bson:"quiz_id,omitempty"`
	QuestionID string `bson:"question_id,omitempty"`
	ExportID   string `bson:"export_id,omitempty"`
}

type usageRecord struct {
	Model            string  `bson:"model"`
	Calls            int     `bson:"calls"`
	PromptTokens     int     `bson:"prompt_tokens"`
	CompletionTokens int     `bson:"completion_tokens"`
	CostUSD          float64 `bson:"cost_usd"`
	Cached           bool    `bson:"cached,omitempty"`
}

// newUsageRecord returns nil for nil, the absent usage of a job.
func newUsageRecord(u *quizflow.Usage) *usageRecord {
	return mapPtr(u, func(u quizflow.Usage) usageRecord { return usageRecord(u) })
}

func (r *usageRecord) domain() *quizflow.Usage {
	return mapPtr(r, func(r usageRecord) quizflow.Usage { return quizflow.Usage(r) })
}

type quizRecord struct {
	ID         string                `bson:"_id"`
	OwnerID    string                `bson:"owner_id"`
	DocumentID string                `bson:"document_id"`
	JobID      string                `bson:"job_id"`
	Title      string                `bson:"title"`
	Language   string                `bson:"language"`
	Options    generateOptionsRecord `bson:"options"`
	Questions  []questionRecord      `bson:"questions"`
	Usage      usageRecord           `bson:"usage"`
	Warnings   []string              `bson:"warnings,omitempty"`
	CacheKey   string                `bson:"cache_key,omitempty"`
	Version    int                   `bson:"version"`
	CreatedAt  time.Time             `bson:"created_at"`
	UpdatedAt  time.Time             `bson:"updated_at"`
}

func newQuizRecord(q *quizflow.Quiz) quizRecord {
	return quizRecord{
		ID: q.ID, OwnerID: q.OwnerID, DocumentID: q.DocumentID, JobID: q.JobID, Title: q.Title,
		Language: q.Language, Options: generateOptionsRecord(q.Options),
		Questions: mapSlice(q.Questions, newQuestionRecord), Usage: usageRecord(q.Usage),
		Warnings: q.Warnings, CacheKey: q.CacheKey, Version: q.Version,
		CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
	}
}

func (r quizRecord) domain() quizflow.Quiz {
	return quizflow.Quiz{
		ID: r.ID, OwnerID: r.OwnerID, DocumentID: r.DocumentID, JobID: r.JobID, Title: r.Title,
		Language: r.Language, Options: quizflow.GenerateOptions(r.Options),
		Questions: mapSlice(r.Questions, questionRecord.domain), Usage: quizflow.Usage(r.Usage),
		Warnings: r.Warnings, CacheKey: r.CacheKey, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// questionRecord is one element of a quiz record's questions.
type questionRecord struct {
	ID          string         `bson:"id"`
	Type        string         `bson:"type"`
	Prompt      string         `bson:"prompt"`
	Options     []optionRecord `bson:"options"`
	Answers     []string       `bson:"answers"`
	Pairs       []pairRecord   `bson:"pairs,omitempty"`
	Explanation string         `bson:"explanation"`
	Source      sourceRecord   `bson:"source"`
	Verified    bool           `bson:"verified"`
	Difficulty  string         `bson:"difficulty,omitempty"`
	BloomLevel  string         `bson:"bloom_level,omitempty"`
	Points      float64        `bson:"points,omitempty"`
}

func newQuestionRecord(q quizflow.Question) questionRecord {
	return questionRecord{
		ID: q.ID, Type: q.Type, Prompt: q.Prompt,
		Options:     mapSlice(q.Options, func(o quizflow.Option) optionRecord { return optionRecord(o) }),
		Answers:     q.Answers,
		Pairs:       mapSlice(q.Pairs, func(p quizflow.Pair) pairRecord { return pairRecord(p) }),
		Explanation: q.Explanation, Source: sourceRecord(q.Source), Verified: q.Verified,
		Difficulty: q.Difficulty, BloomLevel: q.BloomLevel, Points: q.Points,
	}
}

func (r questionRecord) domain() quizflow.Question {
	return quizflow.Question{
		ID: r.ID, Type: r.Type, Prompt: r.Prompt,
		Options:     mapSlice(r.Options, func(o optionRecord) quizflow.Option { return quizflow.Option(o) }),
		Answers:     r.Answers,
		Pairs:       mapSlice(r.Pairs, func(p pairRecord) quizflow.Pair { return quizflow.Pair(p) }),
		Explanation: r.Explanation, Source: quizflow.Source(r.Source), Verified: r.Verified,
		Difficulty: r.Difficulty, BloomLevel: r.BloomLevel, Points: r.Points,
	}
}

type optionRecord struct {
	ID      string `bson:"id"`
	Text    string `bson:"text"`
	Correct bool   `bson:"correct"`
}

type pairRecord struct {
	Left  string `bson:"left"`
	Right string `bson:"right"`
}

type sourceRecord struct {
	Page  int    `bson:"page"`
	Quote string `bson:"quote"`
}

type exportRecord struct {
	ID          string              `bson:"_id"`
	OwnerID     string              `bson:"owner_id"`
	QuizID      string              `bson:"quiz_id"`
	DocumentID  string              `bson:"document_id,omitempty"`
	QuizVersion int                 `bson:"quiz_version"`
	Format      string              `bson:"format"`
	Options     exportOptionsRecord `bson:"options"`
	Status      string              `bson:"status"`
	JobID       string              `bson:"job_id"`
	FileName    string              `bson:"file_name,omitempty"`
	ContentType string              `bson:"content_type,omitempty"`
	Size        int64               `bson:"size"`
	BlobKey     string              `bson:"blob_key,omitempty"`
	Warnings    []string            `bson:"warnings"`
	CacheKey    string              `bson:"cache_key"`
	Error       *jobErrorRecord     `bson:"error,omitempty"`
	CreatedAt   time.Time           `bson:"created_at"`
	UpdatedAt   time.Time           `bson:"updated_at"`
}

func newExportRecord(e *quizflow.Export) exportRecord {
	return exportRecord{
		ID: e.ID, OwnerID: e.OwnerID, QuizID: e.QuizID, DocumentID: e.DocumentID,
		QuizVersion: e.QuizVersion, Format: e.Format, Options: exportOptionsRecord(e.Options),
		Status: e.Status, JobID: e.JobID, FileName: e.FileName, ContentType: e.ContentType,
		Size: e.Size, BlobKey: e.BlobKey, Warnings: e.Warnings, CacheKey: e.CacheKey,
		Error: newJobErrorRecord(e.Error), CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	}
}

func (r exportRecord) domain() quizflow.Export {
	return quizflow.Export{
		ID: r.ID, OwnerID: r.OwnerID, QuizID: r.QuizID, DocumentID: r.DocumentID,
		QuizVersion: r.QuizVersion, Format: r.Format, Options: quizflow.ExportOptions(r.Options),
		Status: r.Status, JobID: r.JobID, FileName: r.FileName, ContentType: r.ContentType,
		Size: r.Size, BlobKey: r.BlobKey, Warnings: r.Warnings, CacheKey: r.CacheKey,
		Error: r.Error.domain(), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

type exportOptionsRecord struct {
	PointsPerQuestion float64 `bson:"points_per_question"`
	ShuffleAnswers    bool    `bson:"shuffle_answers"`
	IncludeFeedback   bool    `bson:"include_feedback"`
}

// mapSlice converts each element of in with f. nil stays nil, so a list
// stored as null or left out reads back as nil and an empty one as empty.
// mapPtr converts *a with f, keeping nil nil.
func mapPtr[A, B any](a *A, f func(A) B) *B {
	if a == nil {
		return nil
	}
	b := f(*a)
	return &b
}

func mapSlice[A, B any](in []A, f func(A) B) []B {
	if in == nil {
		return nil
	}
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}

// Keyed lookup records: a lookup that is not by a record's own _id goes
// through a small record whose _id is the lookup key and which names the
// record it points to. FerretDB's SQLite backend pushes down only _id
// filters, so a lookup by any other field reads the whole collection.
//
// A key record is written before the record it points to and removed after
// it, so a crash between the two writes leaves at most a key pointing at a
// record that is missing or no longer carries the key; every reader checks
// the target and treats such a key as absent (and writers may take it over).

// quizCacheKeyRecord (collection quiz_cache_keys) maps a generation cache
// key (generate.CacheKey, which includes the owner) to the newest quiz made
// with it.
type quizCacheKeyRecord struct {
	ID      string `bson:"_id"` // the cache key
	OwnerID string `bson:"owner_id"`
	QuizID  string `bson:"quiz_id"`
}

// emailKeyRecord (collection email_keys) maps a canonical address
// (internal/emailaddr) to the user who has it.
type emailKeyRecord struct {
	ID     string `bson:"_id"` // the canonical address
	UserID string `bson:"user_id"`
}
