package quizflow

import (
	"context"
	"io"
	"time"
)

// The services below are everything QuizFlow does for a user, one
// interface per resource. The HTTP API parses a request, calls one method
// and encodes the answer; the CLI and the workers call the same methods, so
// a rule (a quota, a scope, an undo on failure) is written once, in the
// package that implements them (internal/usecase, and internal/auth for
// accounts).
//
// Every method takes the acting user and answers "not found" (ENOTFOUND)
// for another user's records, never "forbidden", so IDs cannot be probed.
// Errors that are not an *Error are internal: the caller shows "internal
// error" and logs the detail.

// AccountService registers users, logs them in and out, checks their
// tokens and API keys, and grants operator rights.
type AccountService interface {
	// Register creates an account and logs it in. It returns EINVALID for
	// a bad email, name or password, ECONFLICT for a taken email and
	// ERATELIMIT when this client registered too often.
	Register(ctx context.Context, email, password, name string) (*Session, error)
	// Login starts a new login. It returns one EUNAUTHORIZED message for
	// an unknown email or a wrong password, and ERATELIMIT (with
	// RetryAfter) after too many failures for the account.
	Login(ctx context.Context, email, password string) (*Session, error)
	// Refresh consumes a refresh token and returns the next pair of the
	// same login. It returns EUNAUTHORIZED for an invalid, expired or
	// revoked token, and ErrTokenReused (revoking the login, access tokens
	// included) for a token presented twice.
	Refresh(ctx context.Context, refreshToken string) (*Session, error)
	// Logout ends the login a refresh token belongs to, its access tokens
	// included. It returns EUNAUTHORIZED for an invalid token.
	Logout(ctx context.Context, refreshToken string) error
	// LogoutAll ends every login of the principal's user, its own included.
	LogoutAll(ctx context.Context, p *Principal) error
	// ChangePassword sets a new password after checking the current one,
	// ends every other login of the user and returns a fresh session. It
	// returns EUNAUTHORIZED for a wrong current password, EINVALID for a
	// weak new one and EFORBIDDEN for an API key.
	ChangePassword(ctx context.Context, p *Principal, current, next string) (*Session, error)
	// Authenticate returns who a bearer credential (an access token or an
	// API key, "qf_...") acts for. It returns EUNAUTHORIZED for an
	// invalid, expired or revoked credential or a deleted user, and
	// EUNAVAILABLE when revocation cannot be checked.
	Authenticate(ctx context.Context, bearer string) (*Principal, error)
	// CheckPassword returns the user with email if password is theirs,
	// without starting a login, counting failures as Login does. It
	// returns EUNAUTHORIZED or ERATELIMIT otherwise.
	CheckPassword(ctx context.Context, email, password string) (*User, error)
	// User returns the user with id, or ENOTFOUND.
	User(ctx context.Context, id string) (*User, error)
	// CreateAPIKey makes an API key of the principal's user and returns it
	// with its secret, shown this once. It returns EINVALID for a bad
	// name, scope or expiry and EFORBIDDEN when p is itself an API key.
	CreateAPIKey(ctx context.Context, p *Principal, r APIKeyRequest) (*NewAPIKey, error)
	// APIKeys lists the user's API keys, newest first (never secrets).
	// EFORBIDDEN when p is an API key.
	APIKeys(ctx context.Context, p *Principal) ([]APIKey, error)
	// DeleteAPIKey revokes one of the user's API keys at once. It returns
	// ENOTFOUND, or EFORBIDDEN when p is an API key.
	DeleteAPIKey(ctx context.Context, p *Principal, id string) error
	// SetOperator grants (or revokes) operator rights to the account with
	// email, for the operators' CLI. It returns ENOTFOUND for an unknown
	// account, and EFORBIDDEN for a grant to an address not verified yet
	// when mail is on.
	SetOperator(ctx context.Context, email string, operator bool) (*User, error)

	// VerifyEmail consumes a verification token mailed to the user and
	// marks that address verified. It returns EINVALID for a missing token
	// and EUNAUTHORIZED for an unknown, used or expired one, or one sent
	// to an address the account no longer has.
	VerifyEmail(ctx context.Context, token string) (*User, error)
	// ResendVerification mails a new verification link to the user's
	// address. It returns ECONFLICT when the address is verified,
	// ERATELIMIT after too many mails, EFORBIDDEN for an API key and
	// EUNAVAILABLE when mail is off.
	ResendVerification(ctx context.Context, p *Principal) error
	// ForgotPassword mails a password-reset link if the address has an
	// account; it answers the same, in the same time, either way. It
	// returns EINVALID for a malformed address and ERATELIMIT after too
	// many requests for the address.
	ForgotPassword(ctx context.Context, email string) error
	// ResetPassword consumes a reset token and sets the password, ending
	// every login of the user. It returns EINVALID for a missing token or
	// a weak password and EUNAUTHORIZED for a bad token.
	ResetPassword(ctx context.Context, token, password string) error
	// ChangeEmail sets the user's address after checking the current
	// password; the new address is unverified and gets a verification
	// link, the old one a notice. It returns EINVALID, EUNAUTHORIZED for a
	// wrong password, ECONFLICT for a taken address and EFORBIDDEN for an
	// API key.
	ChangeEmail(ctx context.Context, p *Principal, email, currentPassword string) (*User, error)
	// Rename sets the user's display name. It returns EINVALID for an
	// empty or overlong name and EFORBIDDEN for an API key.
	Rename(ctx context.Context, p *Principal, name string) (*User, error)
	// Notifications returns the user's notification settings.
	Notifications(ctx context.Context, p *Principal) (NotificationSettings, error)
	// SetNotifications turns the listed notification kinds on or off and
	// returns the settings. It returns EINVALID naming an unknown kind or
	// one that cannot be turned off (security mail).
	SetNotifications(ctx context.Context, p *Principal, change NotificationSettings) (NotificationSettings, error)
	// Unsubscribe turns off the notification kind a signed unsubscribe
	// token names, without a login, and returns the kind. It returns
	// EUNAUTHORIZED for a bad token.
	Unsubscribe(ctx context.Context, token string) (string, error)
}

// Principal is who a request acts for: a user through one of their
// logins, or through one of their API keys with its scopes.
type Principal struct {
	User *User
	// FamilyID is the login an access token belongs to ("" for a key).
	FamilyID string
	// APIKeyID and Scopes are set when the credential is an API key.
	APIKeyID string
	Scopes   []string
}

// API key scopes.
const (
	ScopeRead  = "read"  // GET and HEAD
	ScopeWrite = "write" // everything else (implies nothing about reads)
)

// Can reports whether p may use scope: a login may do anything, an API
// key only what its scopes list.
func (p *Principal) Can(scope string) bool {
	if p.APIKeyID == "" {
		return true
	}
	for _, s := range p.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// APIKey is a credential for service-to-service use that acts as its
// owner within its scopes. Only a hash of its secret is stored.
type APIKey struct {
	ID      string   `json:"id"`
	OwnerID string   `json:"-"`
	Name    string   `json:"name"`
	Scopes  []string `json:"scopes"`
	// Prefix is the start of the secret, to recognise a key by.
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"-"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// APIKeyRequest asks for a new API key.
type APIKeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// ExpiresAt, if set, is when the key stops working.
	ExpiresAt *time.Time `json:"expires_at"`
}

// NewAPIKey is a key just made, with its secret (shown once).
type NewAPIKey struct {
	APIKey
	Key string `json:"key"`
}

// DocumentService accepts uploads and manages the documents made of them.
type DocumentService interface {
	// CheckOptions fills defaults into opts and validates them for user's
	// plan and for what the configured generator can write. It returns
	// EINVALID naming the offending field.
	CheckOptions(user *User, opts *GenerateOptions) error
	// ReceiveFile decides the type of an uploaded file from its first bytes
	// and streams it to storage, hashing and counting it on the way. The
	// returned document is not recorded yet: SubmitUpload records it and
	// DiscardUpload removes its file. It returns EINVALID for an empty
	// file, EUNSUPPORTED for a type QuizFlow cannot read, ETOOLARGE past
	// the upload limit, and any *Error that reading r returned (a
	// malformed or cut request body).
	ReceiveFile(ctx context.Context, user *User, filename string, r io.Reader) (*Document, error)
	// SubmitUpload checks opts, records a received document and its quiz
	// job, and enqueues extraction. On any error the document's file is
	// removed and nothing stays recorded as pending. It returns EINVALID
	// for bad options and EUNAVAILABLE when the queue refuses the job.
	SubmitUpload(ctx context.Context, user *User, doc *Document, opts GenerateOptions) (*Document, *Job, error)
	// DiscardUpload removes the file of a received document that will not
	// be submitted. It logs rather than returns a failure.
	DiscardUpload(ctx context.Context, doc *Document)
	// Document returns user's document id, or ENOTFOUND.
	Document(ctx context.Context, user *User, id string) (*Document, error)
	// Documents returns a page of user's documents, newest first, and the
	// next page's cursor ("" after the last). EINVALID for a bad cursor.
	Documents(ctx context.Context, user *User, p PageRequest) ([]Document, string, error)
	// DocumentText returns the extracted text of user's document id. It
	// returns ENOTFOUND, or ECONFLICT while the text is not extracted yet
	// or when none could be.
	DocumentText(ctx context.Context, user *User, id string) (*DocumentText, error)
	// DeleteDocument removes user's document id with its files, quizzes,
	// exports and jobs. It returns ENOTFOUND.
	DeleteDocument(ctx context.Context, user *User, id string) error
}

// JobService shows users the progress of their asynchronous work.
type JobService interface {
	// Job returns user's job id, or ENOTFOUND.
	Job(ctx context.Context, user *User, id string) (*Job, error)
	// Jobs returns a page of user's jobs, newest first, and the next
	// page's cursor. EINVALID for a bad cursor.
	Jobs(ctx context.Context, user *User, p PageRequest) ([]Job, string, error)
}

// QuizService makes quizzes and lets their owners edit them.
type QuizService interface {
	// CreateQuiz starts a job that makes a new quiz of user's document
	// docID with opts, without a new upload. It returns ENOTFOUND,
	// EINVALID for bad options, ECONFLICT while the document is being read
	// or when it has no text, and EUNAVAILABLE when the queue refuses.
	CreateQuiz(ctx context.Context, user *User, docID string, opts GenerateOptions) (*Job, error)
	// Quiz returns user's quiz id, or ENOTFOUND.
	Quiz(ctx context.Context, user *User, id string) (*Quiz, error)
	// Quizzes returns a page of user's quizzes, newest first, and the next
	// page's cursor. EINVALID for a bad cursor.
	Quizzes(ctx context.Context, user *User, p PageRequest) ([]Quiz, string, error)
	// UpdateQuiz changes a quiz's title or question order and saves it as
	// a new version. It returns ENOTFOUND, EINVALID, or ECONFLICT when
	// concurrent edits kept winning.
	UpdateQuiz(ctx context.Context, user *User, id string, u QuizUpdate) (*Quiz, error)
	// UpdateQuestion edits one question; the result is checked like a
	// generated question and against the document's text. It returns
	// ENOTFOUND (quiz or question), EINVALID, or ECONFLICT.
	UpdateQuestion(ctx context.Context, user *User, quizID, questionID string, u QuestionUpdate) (*Question, error)
	// AddQuestion appends a question written by the user, checked as
	// UpdateQuestion checks. It returns ENOTFOUND, EINVALID or ECONFLICT.
	AddQuestion(ctx context.Context, user *User, quizID string, q Question) (*Question, error)
	// DeleteQuestion removes one question. It returns ENOTFOUND or
	// ECONFLICT.
	DeleteQuestion(ctx context.Context, user *User, quizID, questionID string) error
	// RegenerateQuestion starts a job that replaces one question with a
	// new one duplicating none of the others. It returns ENOTFOUND or
	// EUNAVAILABLE.
	RegenerateQuestion(ctx context.Context, user *User, quizID, questionID string) (*Job, error)
	// DeleteQuiz removes user's quiz and its exports (files first); its
	// document and jobs stay. It returns ENOTFOUND.
	DeleteQuiz(ctx context.Context, user *User, id string) error
}

// ExportService renders quizzes into LMS files and hands out links to them.
type ExportService interface {
	// CreateExport starts, or reuses, the export of user's quiz in a
	// format. An identical export (same quiz version, format and
	// normalized options) that has not failed is returned with Reused set
	// instead of a new one; a failed one is retried under a new job. It
	// returns ENOTFOUND, EINVALID for an unknown format or bad options,
	// ECONFLICT when an identical request raced and changed, and
	// EUNAVAILABLE when the queue refuses.
	CreateExport(ctx context.Context, user *User, quizID string, r ExportRequest) (*ExportStart, error)
	// Export returns user's export id, or ENOTFOUND.
	Export(ctx context.Context, user *User, id string) (*Export, error)
	// Exports returns a page of user's exports, newest first, only of
	// quiz quizID unless that is "". EINVALID for a bad quiz ID or cursor.
	Exports(ctx context.Context, user *User, quizID string, p PageRequest) ([]Export, string, error)
	// DownloadURL returns a short-lived link that downloads the file of
	// user's export id as an attachment. It returns ENOTFOUND, or
	// ECONFLICT while the export is not ready or when it failed.
	DownloadURL(ctx context.Context, user *User, id string) (string, error)
}

// Session is a user with a fresh token pair, as login answers.
type Session struct {
	User         *User  `json:"user"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"` // seconds until the access token expires
}

// QuizUpdate holds the quiz fields an edit may change; nil fields stay.
type QuizUpdate struct {
	Title *string `json:"title"`
	// QuestionOrder, if not nil, lists every question ID once, in the new
	// order.
	QuestionOrder []string `json:"question_order"`
}

// QuestionUpdate holds the question fields an edit may change; nil
// fields stay.
type QuestionUpdate struct {
	Type        *string   `json:"type"`
	Prompt      *string   `json:"prompt"`
	Options     *[]Option `json:"options"`
	Answers     *[]string `json:"answers"`
	Pairs       *[]Pair   `json:"pairs"`
	Explanation *string   `json:"explanation"`
	Source      *Source   `json:"source"`
	Difficulty  *string   `json:"difficulty"`
	BloomLevel  *string   `json:"bloom_level"`
	Points      *float64  `json:"points"`
}

// ExportRequest asks for a quiz to be rendered in Format with Options.
type ExportRequest struct {
	Format  string
	Options ExportOptions
}

// ExportStart is the answer to CreateExport: the export, the job that
// builds (or built) it, and whether an identical existing export was
// returned instead of a new one.
type ExportStart struct {
	Export *Export
	Job    *Job
	Reused bool
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request ID id, which services copy
// into the jobs and tasks they start, so one ID ties an HTTP request to
// every log line of the work it caused.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
