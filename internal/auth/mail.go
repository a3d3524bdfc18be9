package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quizflow/quizflow/internal/emailaddr"
	"github.com/quizflow/quizflow/internal/mail"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Notifier asks for an email to be sent once (notify.Queue: an email:send
// task whose ID is the message's).
type Notifier interface {
	Notify(ctx context.Context, m quizflow.Mail) error
}

// MailStore is what the address-verification, password-reset and
// preference flows need of the store, beyond Store.
type MailStore interface {
	SaveMailToken(ctx context.Context, t quizflow.MailToken) error
	// ConsumeMailToken returns EUNAUTHORIZED for an unknown, used or
	// expired token.
	ConsumeMailToken(ctx context.Context, hash, purpose string) (*quizflow.MailToken, error)
	SpendMailTokens(ctx context.Context, userID, purpose string) error
	NextMailSeq(ctx context.Context, userID, cause string) (int, error)
	SetEmailVerified(ctx context.Context, userID, key string) (bool, error)
	// SetEmail returns ECONFLICT for a taken address.
	SetEmail(ctx context.Context, userID, email, key string) error
	// SetName changes the user's display name; ENOTFOUND if the user is gone.
	SetName(ctx context.Context, userID, name string) error
	SetNotificationsOff(ctx context.Context, userID string, off []string) error
}

// Lifetimes of mailed tokens.
const (
	VerifyTokenTTL = 24 * time.Hour
	ResetTokenTTL  = time.Hour
)

// forgotFloor is the least time ForgotPassword takes, so an answer for an
// address with an account (a lookup, a counter, an enqueue) takes as long
// as one for an address without.
const forgotFloor = 400 * time.Millisecond

// hashToken is how a mailed token is stored and looked up.
func hashToken(secret string) string {
	sum := sha256.Sum256([]byte("quizflow-mail-token\x00" + secret))
	return hex.EncodeToString(sum[:])
}

// maxTokenLen bounds tokens read from requests (ours are 43 characters).
const maxTokenLen = 128

// IssueMailToken makes a single-use token of purpose for u's current
// address, stores its hash and returns the secret for a link. The worker
// calls it while composing the message, so no secret sits in a queue.
func (s *Service) IssueMailToken(ctx context.Context, purpose string, u *quizflow.User) (string, error) {
	ms, err := s.mailStore()
	if err != nil {
		return "", err
	}
	ttl := VerifyTokenTTL
	if purpose == quizflow.TokenPasswordReset {
		ttl = ResetTokenTTL
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	t := quizflow.MailToken{Hash: hashToken(secret), Purpose: purpose, UserID: u.ID, EmailKey: u.EmailKey, ExpiresAt: s.now().Add(ttl)}
	if err := ms.SaveMailToken(ctx, t); err != nil {
		return "", err
	}
	return secret, nil
}

func (s *Service) mailStore() (MailStore, error) {
	ms, ok := s.Store.(MailStore)
	if !ok {
		return nil, errors.New("auth: the store keeps no mail tokens")
	}
	return ms, nil
}

// notify asks for message kind about u, with an ID of cause and the
// user's next count of it; failures are logged: the action it follows has
// happened and must not be undone for want of a mail.
func (s *Service) notify(ctx context.Context, kind, cause string, u *quizflow.User, to string, data map[string]string) {
	if s.Mail == nil {
		return
	}
	ms, err := s.mailStore()
	if err == nil {
		var n int
		if n, err = ms.NextMailSeq(ctx, u.ID, cause); err == nil {
			err = s.Mail.Notify(ctx, quizflow.Mail{
				ID: cause + ":" + u.ID + ":" + strconv.Itoa(n), Kind: kind, UserID: u.ID, To: to, Data: data,
			})
		}
	}
	if err != nil {
		s.Log.Error().Err(err).Str("user_id", u.ID).Str("kind", kind).Msg("queue email")
	}
}

func (s *Service) notifyVerify(ctx context.Context, u *quizflow.User) {
	s.notify(ctx, quizflow.MailVerifyEmail, "verify", u, "", nil)
}

func (s *Service) notifyPasswordChanged(ctx context.Context, u *quizflow.User) {
	s.notify(ctx, quizflow.MailPasswordChanged, "password_changed", u, "",
		map[string]string{"when": mail.FormatTime(s.now())})
}

var errBadMailToken = quizflow.Errorf(quizflow.EUNAUTHORIZED, "This link is invalid, used or expired; ask for a new one.")

func (s *Service) consume(ctx context.Context, token, purpose string) (*quizflow.MailToken, *quizflow.User, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, nil, quizflow.Invalid("token", "The token from the link is required.")
	}
	if len(token) > maxTokenLen {
		return nil, nil, errBadMailToken
	}
	ms, err := s.mailStore()
	if err != nil {
		return nil, nil, err
	}
	t, err := ms.ConsumeMailToken(ctx, hashToken(token), purpose)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.Store.UserByID(ctx, t.UserID)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND || (err == nil && u.EmailKey != t.EmailKey) {
		// The account is gone, or its address changed since the link was sent.
		return nil, nil, errBadMailToken
	}
	if err != nil {
		return nil, nil, err
	}
	return t, u, nil
}

// VerifyEmail implements quizflow.AccountService.
func (s *Service) VerifyEmail(ctx context.Context, token string) (*quizflow.User, error) {
	t, u, err := s.consume(ctx, token, quizflow.TokenVerifyEmail)
	if err != nil {
		return nil, err
	}
	ms, _ := s.mailStore()
	ok, err := ms.SetEmailVerified(ctx, u.ID, t.EmailKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadMailToken
	}
	u.EmailVerified = true
	s.Log.Info().Str("user_id", u.ID).Msg("email address verified")
	return u, nil
}

// ResendVerification implements quizflow.AccountService.
func (s *Service) ResendVerification(ctx context.Context, p *quizflow.Principal) error {
	if p.APIKeyID != "" {
		return errKeyForbidden
	}
	u, err := s.Store.UserByID(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if u.EmailVerified {
		return quizflow.Errorf(quizflow.ECONFLICT, "This address is already verified.")
	}
	if err := s.allowMail(ctx, u.EmailKey); err != nil {
		return err
	}
	if s.Mail == nil {
		return quizflow.Errorf(quizflow.EUNAVAILABLE, "Email is turned off on this server.")
	}
	s.notifyVerify(ctx, u)
	return nil
}

// allowMail counts one user-requested message to the address key against
// MailRequests.
func (s *Service) allowMail(ctx context.Context, key string) error {
	if s.MailRequests == nil {
		return nil
	}
	ok, wait, err := s.MailRequests.Allow(ctx, key)
	if err != nil {
		s.Log.Error().Err(err).Msg("mail request limit")
		return quizflow.Errorf(quizflow.EUNAVAILABLE, "This is unavailable right now; please try again shortly.")
	}
	if !ok {
		return &quizflow.Error{Code: quizflow.ERATELIMIT, RetryAfter: wait,
			Message: fmt.Sprintf("Too many emails asked for this address; try again in %s.", roundUp(wait))}
	}
	return nil
}

// ForgotPassword implements quizflow.AccountService: whether or not the
// address has an account, it answers the same and takes at least
// forgotFloor.
func (s *Service) ForgotPassword(ctx context.Context, email string) error {
	start := s.now()
	key, err := emailaddr.Canonical(email)
	if err != nil {
		return err
	}
	defer func() {
		if wait := forgotFloor - s.now().Sub(start); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
	}()
	if err := s.allowMail(ctx, key); err != nil {
		return err
	}
	u, err := s.Store.UserByEmail(ctx, key)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		return nil
	}
	if err != nil {
		s.Log.Error().Err(err).Msg("forgot password: look up user")
		return nil // the same answer: the outage must not tell the address has an account
	}
	s.notify(ctx, quizflow.MailPasswordReset, "reset", u, "", nil)
	return nil
}

// ResetPassword implements quizflow.AccountService.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	_, u, err := s.consume(ctx, token, quizflow.TokenPasswordReset)
	if err != nil {
		return err
	}
	if err := ValidatePassword(password, u.Email, u.Name); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.cfg.BcryptCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if err := s.Store.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return err
	}
	ms, _ := s.mailStore()
	if err := ms.SpendMailTokens(ctx, u.ID, quizflow.TokenPasswordReset); err != nil {
		return err
	}
	if err := s.endLogins(ctx, u.ID, ""); err != nil {
		return err
	}
	// The link reached the address: it is the owner's.
	if _, err := ms.SetEmailVerified(ctx, u.ID, u.EmailKey); err != nil {
		s.Log.Warn().Err(err).Str("user_id", u.ID).Msg("verify address on reset")
	}
	if s.LoginAttempts != nil {
		_ = s.LoginAttempts.Reset(ctx, u.EmailKey)
	}
	s.Log.Info().Str("user_id", u.ID).Msg("password reset by mailed link; every session ended")
	s.notifyPasswordChanged(ctx, u)
	return nil
}

// ChangeEmail implements quizflow.AccountService.
func (s *Service) ChangeEmail(ctx context.Context, p *quizflow.Principal, email, currentPassword string) (*quizflow.User, error) {
	if p.APIKeyID != "" {
		return nil, errKeyForbidden
	}
	email = strings.TrimSpace(email)
	key, err := emailaddr.Canonical(email)
	if err != nil {
		return nil, err
	}
	u, err := s.CheckPassword(ctx, p.User.Email, currentPassword)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.EUNAUTHORIZED {
			return nil, &quizflow.Error{Code: quizflow.EUNAUTHORIZED, Field: "current_password", Message: "The current password is wrong."}
		}
		return nil, err
	}
	if key == u.EmailKey {
		return nil, quizflow.Invalid("email", "This is already your address.")
	}
	ms, err := s.mailStore()
	if err != nil {
		return nil, err
	}
	old := u.Email
	if err := ms.SetEmail(ctx, u.ID, email, key); err != nil {
		return nil, err
	}
	u.Email, u.EmailKey, u.EmailVerified, u.EmailStatus = email, key, false, quizflow.EmailOK
	s.Log.Info().Str("user_id", u.ID).Msg("email address changed")
	s.notify(ctx, quizflow.MailEmailChanged, "email_changed", u, old,
		map[string]string{"old_email": old, "new_email": email, "when": mail.FormatTime(s.now())})
	s.notifyVerify(ctx, u)
	return u, nil
}

// Rename implements quizflow.AccountService.
func (s *Service) Rename(ctx context.Context, p *quizflow.Principal, name string) (*quizflow.User, error) {
	if p.APIKeyID != "" {
		return nil, errKeyForbidden
	}
	name = strings.TrimSpace(name)
	if err := validName(name); err != nil {
		return nil, err
	}
	ms, err := s.mailStore()
	if err != nil {
		return nil, err
	}
	if err := ms.SetName(ctx, p.User.ID, name); err != nil {
		return nil, err
	}
	u, err := s.Store.UserByID(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	s.Log.Info().Str("user_id", u.ID).Msg("display name changed")
	return u, nil
}

// Notifications implements quizflow.AccountService.
func (s *Service) Notifications(ctx context.Context, p *quizflow.Principal) (quizflow.NotificationSettings, error) {
	u, err := s.Store.UserByID(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	return u.Notifications(), nil
}

// SetNotifications implements quizflow.AccountService.
func (s *Service) SetNotifications(ctx context.Context, p *quizflow.Principal, change quizflow.NotificationSettings) (quizflow.NotificationSettings, error) {
	for k := range change {
		if !quizflow.IsNotification(k) {
			if slices.Contains(quizflow.MailKinds, k) {
				return nil, quizflow.Invalid(k, "%s mail is about your account's security and cannot be turned off.", k)
			}
			return nil, quizflow.Invalid(truncate(k, 40), "Unknown notification %q; the kinds are %s.", truncate(k, 40), strings.Join(quizflow.NotificationKinds, ", "))
		}
	}
	u, err := s.Store.UserByID(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	return s.setNotifications(ctx, u, change)
}

func (s *Service) setNotifications(ctx context.Context, u *quizflow.User, change quizflow.NotificationSettings) (quizflow.NotificationSettings, error) {
	cur := u.Notifications()
	for k, on := range change {
		cur[k] = on
	}
	var off []string
	for _, k := range quizflow.NotificationKinds {
		if !cur[k] {
			off = append(off, k)
		}
	}
	ms, err := s.mailStore()
	if err != nil {
		return nil, err
	}
	if err := ms.SetNotificationsOff(ctx, u.ID, off); err != nil {
		return nil, err
	}
	return cur, nil
}

// Unsubscribe implements quizflow.AccountService.
func (s *Service) Unsubscribe(ctx context.Context, token string) (string, error) {
	userID, kind, err := mail.ParseUnsubscribeToken(s.cfg.UnsubscribeKey, token)
	if err != nil && len(s.cfg.UnsubscribeKeyPrevious) > 0 {
		userID, kind, err = mail.ParseUnsubscribeToken(s.cfg.UnsubscribeKeyPrevious, token)
	}
	if err != nil || len(s.cfg.UnsubscribeKey) == 0 || !quizflow.IsNotification(kind) {
		return "", quizflow.Errorf(quizflow.EUNAUTHORIZED, "This unsubscribe link is not valid.")
	}
	u, err := s.Store.UserByID(ctx, userID)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		return kind, nil // nothing is sent to a deleted account anyway
	}
	if err != nil {
		return "", err
	}
	if _, err := s.setNotifications(ctx, u, quizflow.NotificationSettings{kind: false}); err != nil {
		return "", err
	}
	s.Log.Info().Str("user_id", u.ID).Str("kind", kind).Msg("unsubscribed by link")
	return kind, nil
}

// notifyKeyCreated tells the owner of a new API key; the key's ID is the
// cause.
func (s *Service) notifyKeyCreated(ctx context.Context, u *quizflow.User, k *quizflow.APIKey) {
	if s.Mail == nil {
		return
	}
	err := s.Mail.Notify(ctx, quizflow.Mail{
		ID: "api_key_created:" + k.ID, Kind: quizflow.MailAPIKeyCreated, UserID: u.ID,
		Data: map[string]string{"key_name": k.Name, "key_prefix": k.Prefix, "key_scopes": strings.Join(k.Scopes, ", "), "when": mail.FormatTime(s.now())},
	})
	if err != nil {
		s.Log.Error().Err(err).Str("user_id", u.ID).Msg("queue API key notice")
	}
}
