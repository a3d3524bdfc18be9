package app

import (
	"crypto/sha256"
	"time"

	"github.com/quizflow/quizflow/internal/auth"
	"github.com/quizflow/quizflow/internal/mail"
	"github.com/quizflow/quizflow/internal/notify"
	"github.com/quizflow/quizflow/internal/ratelimit"
	"github.com/quizflow/quizflow/internal/worker"
)

// mailRequestsPerHour bounds the mail one address can be sent on request
// (verification resent, password forgotten): enough for a person, too few
// to flood an inbox.
const mailRequestsPerHour = 5

// unsubscribeKey derives the key of unsubscribe links from the access
// token secret, so every replica (API and worker) signs and checks alike.
func unsubscribeKey(accessSecret []byte) []byte {
	k := sha256.Sum256(append([]byte("quizflow-unsubscribe-key|"), accessSecret...))
	return k[:]
}

// previousUnsubscribeKey is the unsubscribe key of the access secret being
// rotated out (JWT_ACCESS_SECRET_PREVIOUS), or nil without one: links in
// mail sent before the rotation keep working during its window.
func previousUnsubscribeKey(previousAccessSecret string) []byte {
	if previousAccessSecret == "" {
		return nil
	}
	return unsubscribeKey([]byte(previousAccessSecret))
}

// notifier is where mail is asked for: email:send tasks, or nil when mail
// is off (no SMTP_URL, or MAIL_DISABLED), so nothing is queued.
func (a *App) notifier() notify.Notifier {
	if !a.Cfg.MailOn() {
		return nil
	}
	return notify.Queue{Q: a.Tasks}
}

// authNotifier is notifier as auth takes it (a nil interface when off).
func (a *App) authNotifier() auth.Notifier {
	if n := a.notifier(); n != nil {
		return n
	}
	return nil
}

// mailGate limits mail asked for per address, shared through Redis.
func (a *App) mailGate() auth.Limiter {
	return ratelimit.NewGate(a.Redis, "mail", mailRequestsPerHour, time.Hour)
}

// openMail builds the worker's sender when mail is on.
func (a *App) openMail(unsubKey []byte) error {
	if !a.Cfg.MailOn() {
		return nil
	}
	smtp, err := mail.NewSMTP(a.Cfg.SMTP, a.Cfg.MailFrom)
	if err != nil {
		return err
	}
	a.Mailer = &notify.Sender{
		Config: notify.Config{PublicURL: a.Cfg.PublicURL, UnsubscribeKey: unsubKey, ReplyTo: a.Cfg.MailReplyTo},
		Log:    a.Log, Records: a.Store, Users: a.Store, Work: a.records, Tokens: a.Auth,
		Transport: smtp, Metrics: notify.NewMetrics(a.Metrics),
	}
	return nil
}

// backupAlerts mails the operators about failed backups; nil when mail is
// off.
func (a *App) backupAlerts() worker.BackupAlerts {
	n := a.notifier()
	if n == nil {
		return nil
	}
	return notify.BackupAlerts{Notifier: n, Operators: a.Store}
}

// workerMailer is the worker's Mailer, a nil interface when mail is off.
func (a *App) workerMailer() worker.Mailer {
	if a.Mailer == nil {
		return nil
	}
	return a.Mailer
}
