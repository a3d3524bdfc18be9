package quizflow

import "time"

// Kinds of email QuizFlow sends. Each is one folder of templates in
// internal/mail and one value of the kind label of quizflow_emails_total.
const (
	MailVerifyEmail         = "verify_email"
	MailPasswordReset       = "password_reset"
	MailQuizReady           = "quiz_ready"
	MailQuizFailed          = "quiz_failed"
	MailExportReady         = "export_ready"
	MailRegenerationFailed  = "regeneration_failed"
	MailPasswordChanged     = "password_changed"
	MailAPIKeyCreated       = "api_key_created"
	MailEmailChanged        = "email_changed"
	MailSubscriptionStarted = "subscription_started"
	MailPaymentFailed       = "payment_failed"
	MailSubscriptionEnded   = "subscription_ended"
	// MailBackupFailed goes to every operator when a backup's last attempt
	// fails. Like the security notices it cannot be turned off: a backup
	// that silently stops is the failure backups exist to prevent.
	MailBackupFailed = "backup_failed"
)

// MailKinds lists every kind of email, so metrics can bound their labels.
var MailKinds = []string{
	MailVerifyEmail, MailPasswordReset, MailQuizReady, MailQuizFailed, MailExportReady,
	MailRegenerationFailed, MailPasswordChanged, MailAPIKeyCreated, MailEmailChanged,
	MailSubscriptionStarted, MailPaymentFailed, MailSubscriptionEnded,
	MailBackupFailed,
}

// NotificationKinds are the kinds a user may turn off (GET/PATCH
// /v1/me/notifications) and unsubscribe from by link. The others concern
// the account's security or access and are always sent.
var NotificationKinds = []string{MailQuizReady, MailQuizFailed, MailExportReady, MailRegenerationFailed}

// IsNotification reports whether kind is one a user may turn off.
func IsNotification(kind string) bool {
	for _, k := range NotificationKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Email statuses of a user's address.
const (
	// EmailOK (the zero value) means mail to the address is delivered or
	// has not been refused.
	EmailOK = ""
	// EmailBouncing means the receiving server refused the address
	// permanently (an SMTP 5xx): notifications to it stop until the
	// address changes.
	EmailBouncing = "bouncing"
)

// Mail asks for one email to be sent, once: ID is derived from its cause
// ("verify:<user>:<n>", "quiz_ready:<job>") and names the message for
// good, so a second request with the same ID sends nothing.
type Mail struct {
	ID     string
	Kind   string
	UserID string
	// To, if set, is the recipient instead of the user's current address
	// (the notice of an address change goes to the old one).
	To string
	// JobID is the job a job notification is about.
	JobID string
	// Data holds what the message says that is known only at its cause,
	// such as the name of a new API key. Bounded by the caller.
	Data map[string]string
}

// NotificationSettings says, per kind of NotificationKinds, whether the
// user gets it.
type NotificationSettings map[string]bool

// Notifications returns u's settings: every notification kind, on unless
// u turned it off.
func (u *User) Notifications() NotificationSettings {
	out := NotificationSettings{}
	for _, k := range NotificationKinds {
		out[k] = true
	}
	for _, k := range u.NotificationsOff {
		if _, ok := out[k]; ok {
			out[k] = false
		}
	}
	return out
}

// Wants reports whether u gets mail of kind: always for a kind that is
// not a notification, else unless turned off.
func (u *User) Wants(kind string) bool {
	if !IsNotification(kind) {
		return true
	}
	return u.Notifications()[kind]
}

// Purposes of tokens mailed to users.
const (
	TokenVerifyEmail   = "verify_email"
	TokenPasswordReset = "password_reset"
)

// MailToken is the stored form of a single-use token mailed to a user:
// only the SHA-256 of its secret.
type MailToken struct {
	Hash    string
	Purpose string
	UserID  string
	// EmailKey is the canonical address the token was mailed to.
	EmailKey  string
	ExpiresAt time.Time
}

// Statuses of an EmailRecord.
const (
	EmailSending    = "sending"    // claimed by a worker
	EmailSent       = "sent"       // accepted by the SMTP server
	EmailFailed     = "failed"     // refused for good (5xx) or out of retries
	EmailSuppressed = "suppressed" // not sent: turned off, bouncing, or the user is gone
)

// EmailRecord is what was done about one message, by its ID.
type EmailRecord struct {
	ID            string
	Kind          string
	UserID        string
	To            string
	Status        string
	SMTPMessageID string
	Reason        string
	Attempts      int
	SentAt        *time.Time
}
