// Package auth registers and logs in users and issues their tokens: short
// HS256 JWT access tokens and rotating refresh tokens whose reuse revokes
// the whole login (token family).
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/quizflow/quizflow/internal/emailaddr"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Store is what auth needs of the record store.
type Store interface {
	// CreateUser returns ECONFLICT if the email key is taken.
	CreateUser(ctx context.Context, u *quizflow.User) error
	// UserByEmail (by canonical address) and UserByID return ENOTFOUND for
	// unknown users.
	UserByEmail(ctx context.Context, key string) (*quizflow.User, error)
	UserByID(ctx context.Context, id string) (*quizflow.User, error)
	SetPasswordHash(ctx context.Context, id, hash string) error
	// SetOperator returns ENOTFOUND for an unknown address.
	SetOperator(ctx context.Context, key string, operator bool) (*quizflow.User, error)
	SaveRefreshToken(ctx context.Context, t quizflow.RefreshToken) error
	// ConsumeRefreshToken returns quizflow.ErrTokenReused on reuse.
	ConsumeRefreshToken(ctx context.Context, id, family string) (*quizflow.RefreshToken, error)
	RevokeTokenFamily(ctx context.Context, family string) error
	// RevokeUserFamilies revokes every login of the user but except and
	// returns the families revoked.
	RevokeUserFamilies(ctx context.Context, userID, except string) ([]string, error)
	CreateAPIKey(ctx context.Context, k *quizflow.APIKey) error
	// APIKey returns ENOTFOUND for an unknown key (owner "" skips the
	// owner check).
	APIKey(ctx context.Context, id, owner string) (*quizflow.APIKey, error)
	APIKeys(ctx context.Context, owner string) ([]quizflow.APIKey, error)
	// DeleteAPIKey returns ENOTFOUND for an unknown key.
	DeleteAPIKey(ctx context.Context, owner, id string) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// Revocations cuts revoked logins' access tokens short (internal/revocation).
type Revocations interface {
	RevokeFamilies(ctx context.Context, families ...string) error
	Revoked(ctx context.Context, family string) (bool, error)
}

// Limiter counts events per key and refuses past a limit
// (ratelimit.Gate): here, login attempts per account.
type Limiter interface {
	// Allow takes one event; false, with the wait, when none is left.
	Allow(ctx context.Context, key string) (bool, time.Duration, error)
	Reset(ctx context.Context, key string) error
}

// Config configures token issuance.
type Config struct {
	// AccessSecret and RefreshSecret sign new tokens and verify them;
	// each token names its secret by key ID (KeyID) in its "kid" header.
	AccessSecret, RefreshSecret []byte
	// AccessSecretPrevious and RefreshSecretPrevious, when set, are the
	// secrets being rotated out: they still verify the tokens they signed
	// (found by key ID) but sign nothing, so a rotation logs nobody out.
	// Empty (the default) verifies with the current secrets only.
	AccessSecretPrevious, RefreshSecretPrevious []byte
	AccessTTL, RefreshTTL                       time.Duration
	// BcryptCost is the password hashing cost (default bcrypt.DefaultCost).
	BcryptCost int
	// UnsubscribeKey signs the one-click unsubscribe links of
	// notifications (mail.UnsubscribeToken); empty refuses every link.
	UnsubscribeKey []byte
	// UnsubscribeKeyPrevious, when set, also verifies unsubscribe links:
	// those in mail sent before UnsubscribeKey was rotated (it is derived
	// from the access secret, so it rotates with it).
	UnsubscribeKeyPrevious []byte
	// RequireVerifiedOperators refuses to grant operator rights to an
	// address that has not been verified (set when mail is on, so an
	// address can be).
	RequireVerifiedOperators bool
}

// Deps are the adapters the accounts use case runs on.
type Deps struct {
	Log   zerolog.Logger
	Store Store
	// Revocations is required: without it logout could not end access
	// tokens.
	Revocations Revocations
	// LoginAttempts limits password attempts per account (counted before
	// the check, cleared by a success); nil means no limit.
	LoginAttempts Limiter
	// Mail, if set, sends the account's mail: verification on
	// registration, password reset, security notices. The Store must then
	// implement MailStore. Nil sends nothing.
	Mail Notifier
	// MailRequests limits mail a client can ask for per address (resend
	// verification, forgot password); nil means no limit.
	MailRequests Limiter
}

// Service implements the account use cases (quizflow.AccountService) over
// its Deps.
type Service struct {
	cfg Config
	// access and refresh are the key rings built from cfg's secrets.
	access, refresh keyring
	Deps
	now func() time.Time
	// dummyHash is compared against when an email is unknown, so a login
	// takes as long for unknown emails as for wrong passwords.
	dummyHash string
}

// New returns a Service.
func New(cfg Config, d Deps) (*Service, error) {
	if len(cfg.AccessSecret) == 0 || len(cfg.RefreshSecret) == 0 {
		return nil, errors.New("auth: access and refresh secrets are required")
	}
	access, err := newKeyring("access", cfg.AccessSecret, cfg.AccessSecretPrevious)
	if err != nil {
		return nil, err
	}
	refresh, err := newKeyring("refresh", cfg.RefreshSecret, cfg.RefreshSecretPrevious)
	if err != nil {
		return nil, err
	}
	if d.Store == nil || d.Revocations == nil {
		return nil, errors.New("auth: a store and a revocation list are required")
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	dummy, err := HashPassword("not a real password", cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Service{cfg: cfg, access: access, refresh: refresh, Deps: d, now: time.Now, dummyHash: dummy}, nil
}

var _ quizflow.AccountService = (*Service)(nil)

// Field bounds.
const (
	MaxNameLen = 100
)

var errBadLogin = quizflow.Errorf(quizflow.EUNAUTHORIZED, "Wrong email or password.")

// validName checks a display name (already trimmed): required, valid
// text, at most MaxNameLen characters.
func validName(name string) error {
	switch {
	case name == "":
		return quizflow.Invalid("name", "The name is required.")
	case utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name):
		return quizflow.Invalid("name", "The name must be valid text of at most %d characters.", MaxNameLen)
	}
	return nil
}

// Register creates an account and logs it in. It returns EINVALID for a bad
// email, name or password and ECONFLICT for a taken email. (The 409 tells
// a caller the address has an account, as any instant sign-up must; the
// API limits registrations per client IP.)
func (s *Service) Register(ctx context.Context, email, password, name string) (*quizflow.Session, error) {
	email = strings.TrimSpace(email)
	name = strings.TrimSpace(name)
	key, err := emailaddr.Canonical(email)
	if err != nil {
		return nil, err
	}
	if err := validName(name); err != nil {
		return nil, err
	}
	if err := ValidatePassword(password, email, name); err != nil {
		return nil, err
	}
	hash, err := HashPassword(password, s.cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u := &quizflow.User{Email: email, EmailKey: key, Name: name, PasswordHash: hash}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	s.notifyVerify(ctx, u)
	return s.newSession(ctx, u, quizflow.NewID("fam"))
}

// Login checks credentials and starts a new login (token family). It
// returns one EUNAUTHORIZED message for an unknown email or a wrong
// password, and ERATELIMIT after too many attempts at one account.
func (s *Service) Login(ctx context.Context, email, password string) (*quizflow.Session, error) {
	u, err := s.CheckPassword(ctx, email, password)
	if err != nil {
		return nil, err
	}
	return s.newSession(ctx, u, quizflow.NewID("fam"))
}

// CheckPassword returns the user with email if password is theirs, without
// starting a login. Attempts count against the account's limit whether or
// not it exists (so the limit tells nothing either), and a success clears
// them. Unknown addresses cost a bcrypt comparison too, so the answer takes
// as long.
func (s *Service) CheckPassword(ctx context.Context, email, password string) (*quizflow.User, error) {
	key, kerr := emailaddr.Canonical(email)
	if kerr != nil {
		key = "invalid:" + strings.ToLower(strings.TrimSpace(email))
	}
	if s.LoginAttempts != nil {
		ok, wait, err := s.LoginAttempts.Allow(ctx, key)
		if err != nil {
			// Fail closed: without the limit, guessing would be unbounded.
			s.Log.Error().Err(err).Msg("login attempt limit")
			return nil, quizflow.Errorf(quizflow.EUNAVAILABLE, "Sign-in is unavailable right now; please try again shortly.")
		}
		if !ok {
			return nil, &quizflow.Error{Code: quizflow.ERATELIMIT, RetryAfter: wait,
				Message: fmt.Sprintf("Too many sign-in attempts for this account; try again in %s.", roundUp(wait))}
		}
	}
	var u *quizflow.User
	var err error = errBadLogin
	if kerr == nil {
		u, err = s.Store.UserByEmail(ctx, key)
	}
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND || errors.Is(err, errBadLogin) {
		_ = ComparePassword(s.dummyHash, password)
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	if ComparePassword(u.PasswordHash, password) != nil {
		return nil, errBadLogin
	}
	if s.LoginAttempts != nil {
		if err := s.LoginAttempts.Reset(ctx, key); err != nil {
			s.Log.Warn().Err(err).Msg("reset login attempts")
		}
	}
	if NeedsRehash(u.PasswordHash, s.cfg.BcryptCost) {
		if hash, err := HashPassword(password, s.cfg.BcryptCost); err == nil {
			if err := s.Store.SetPasswordHash(ctx, u.ID, hash); err != nil {
				s.Log.Warn().Err(err).Str("user_id", u.ID).Msg("upgrade password hash")
			}
		}
	}
	return u, nil
}

// roundUp writes d for people, in whole seconds or minutes.
func roundUp(d time.Duration) string {
	if d >= time.Minute {
		return fmt.Sprintf("%d minutes", int((d+time.Minute-1)/time.Minute))
	}
	return fmt.Sprintf("%d seconds", int((d+time.Second-1)/time.Second))
}

// Refresh consumes a refresh token and returns a new pair of the same login.
// A token presented twice revokes the login, its access tokens included,
// and returns EUNAUTHORIZED.
func (s *Service) Refresh(ctx context.Context, token string) (*quizflow.Session, error) {
	c, err := s.parse(token, s.refresh, typeRefresh)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.ConsumeRefreshToken(ctx, c.ID, c.Family); err != nil {
		if errors.Is(err, quizflow.ErrTokenReused) {
			if rerr := s.Revocations.RevokeFamilies(ctx, c.Family); rerr != nil {
				return nil, rerr
			}
		}
		return nil, err
	}
	u, err := s.tokenUser(ctx, c.Subject)
	if err != nil {
		return nil, err
	}
	return s.newSession(ctx, u, c.Family)
}

// Logout ends the login a refresh token belongs to, access tokens included.
func (s *Service) Logout(ctx context.Context, token string) error {
	c, err := s.parse(token, s.refresh, typeRefresh)
	if err != nil {
		return err
	}
	if err := s.Store.RevokeTokenFamily(ctx, c.Family); err != nil {
		return err
	}
	return s.Revocations.RevokeFamilies(ctx, c.Family)
}

// LogoutAll ends every login of p's user.
func (s *Service) LogoutAll(ctx context.Context, p *quizflow.Principal) error {
	return s.endLogins(ctx, p.User.ID, "", p.FamilyID)
}

// endLogins revokes the user's logins but except, and cuts their access
// tokens short, with also's (a family the store may not list).
func (s *Service) endLogins(ctx context.Context, userID, except string, also ...string) error {
	fams, err := s.Store.RevokeUserFamilies(ctx, userID, except)
	if err != nil {
		return err
	}
	for _, f := range also {
		if f != "" && f != except {
			fams = append(fams, f)
		}
	}
	return s.Revocations.RevokeFamilies(ctx, fams...)
}

var errKeyForbidden = quizflow.Errorf(quizflow.EFORBIDDEN, "API keys cannot manage passwords or keys; sign in with your password.")

// ChangePassword implements quizflow.AccountService.
func (s *Service) ChangePassword(ctx context.Context, p *quizflow.Principal, current, next string) (*quizflow.Session, error) {
	if p.APIKeyID != "" {
		return nil, errKeyForbidden
	}
	u, err := s.CheckPassword(ctx, p.User.Email, current)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.EUNAUTHORIZED {
			return nil, &quizflow.Error{Code: quizflow.EUNAUTHORIZED, Field: "current_password", Message: "The current password is wrong."}
		}
		return nil, err
	}
	if err := ValidatePassword(next, u.Email, u.Name); err != nil {
		return nil, err
	}
	hash, err := HashPassword(next, s.cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	if err := s.Store.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return nil, err
	}
	if err := s.endLogins(ctx, u.ID, "", p.FamilyID); err != nil {
		return nil, err
	}
	s.Log.Info().Str("user_id", u.ID).Msg("password changed; other sessions ended")
	s.notifyPasswordChanged(ctx, u)
	return s.newSession(ctx, u, quizflow.NewID("fam"))
}

// Authenticate implements quizflow.AccountService: an API key ("qf_...")
// or an access token whose login has not been revoked.
func (s *Service) Authenticate(ctx context.Context, bearer string) (*quizflow.Principal, error) {
	if strings.HasPrefix(bearer, apiKeyPrefix) {
		return s.authenticateKey(ctx, bearer)
	}
	c, err := s.checkAccess(ctx, bearer)
	if err != nil {
		return nil, err
	}
	u, err := s.tokenUser(ctx, c.Subject)
	if err != nil {
		return nil, err
	}
	return &quizflow.Principal{User: u, FamilyID: c.Family}, nil
}

// AuthenticateID is Authenticate for the hot routes that need only the
// caller's ID (job status and its event stream): an access token is
// checked by its signature and expiry and against the revocation list (one
// Redis read), without loading the user from the store, so the returned
// User carries only its ID. Everything that ends a login (logout, password
// change, reuse of a refresh token) revokes its family, which this still
// sees. API keys are checked as Authenticate checks them.
func (s *Service) AuthenticateID(ctx context.Context, bearer string) (*quizflow.Principal, error) {
	if strings.HasPrefix(bearer, apiKeyPrefix) {
		return s.authenticateKey(ctx, bearer)
	}
	c, err := s.checkAccess(ctx, bearer)
	if err != nil {
		return nil, err
	}
	return &quizflow.Principal{User: &quizflow.User{ID: c.Subject}, FamilyID: c.Family}, nil
}

// checkAccess verifies an access token and that its login is not revoked.
func (s *Service) checkAccess(ctx context.Context, bearer string) (*claims, error) {
	c, err := s.parse(bearer, s.access, typeAccess)
	if err != nil {
		return nil, err
	}
	revoked, err := s.Revocations.Revoked(ctx, c.Family)
	if err != nil {
		s.Log.Error().Err(err).Msg("check token revocation")
		return nil, quizflow.Errorf(quizflow.EUNAVAILABLE, "Sign-in cannot be checked right now; please try again shortly.")
	}
	if revoked {
		return nil, errSessionEnded
	}
	return c, nil
}

var errSessionEnded = quizflow.Errorf(quizflow.EUNAUTHORIZED, "This session has ended; sign in again.")

// tokenUser loads the user a verified credential names; a user deleted
// since makes it invalid.
func (s *Service) tokenUser(ctx context.Context, id string) (*quizflow.User, error) {
	u, err := s.Store.UserByID(ctx, id)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		return nil, errInvalidToken
	}
	return u, err
}

// User returns the user with id, or ENOTFOUND.
func (s *Service) User(ctx context.Context, id string) (*quizflow.User, error) {
	return s.Store.UserByID(ctx, id)
}

// SetOperator implements quizflow.AccountService; every grant and revoke
// is logged.
func (s *Service) SetOperator(ctx context.Context, email string, operator bool) (*quizflow.User, error) {
	key, err := emailaddr.Canonical(email)
	if err != nil {
		return nil, err
	}
	if operator && s.cfg.RequireVerifiedOperators {
		u, err := s.Store.UserByEmail(ctx, key)
		if err != nil {
			return nil, err
		}
		if !u.EmailVerified {
			return nil, quizflow.Errorf(quizflow.EFORBIDDEN, "%s has not verified its address yet; operators must have a verified address.", u.Email)
		}
	}
	u, err := s.Store.SetOperator(ctx, key, operator)
	if err != nil {
		return nil, err
	}
	action := "operator granted"
	if !operator {
		action = "operator revoked"
	}
	s.Log.Warn().Str("user_id", u.ID).Str("email", u.Email).Bool("operator", operator).Msg(action)
	return u, nil
}

func (s *Service) newSession(ctx context.Context, u *quizflow.User, family string) (*quizflow.Session, error) {
	now := s.now()
	access, err := s.sign(claims{
		Type: typeAccess, Family: family,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: u.ID, ID: quizflow.NewID("at"),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
		},
	}, s.access)
	if err != nil {
		return nil, err
	}
	rt := quizflow.RefreshToken{ID: quizflow.NewID("rt"), FamilyID: family, UserID: u.ID, ExpiresAt: now.Add(s.cfg.RefreshTTL)}
	refresh, err := s.sign(claims{
		Type: typeRefresh, Family: family,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: u.ID, ID: rt.ID,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(rt.ExpiresAt),
		},
	}, s.refresh)
	if err != nil {
		return nil, err
	}
	if err := s.Store.SaveRefreshToken(ctx, rt); err != nil {
		return nil, err
	}
	return &quizflow.Session{User: u, AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTTL.Seconds())}, nil
}
