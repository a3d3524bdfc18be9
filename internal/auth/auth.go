// Package auth registers and logs in users and issues their tokens: short
// HS256 JWT access tokens and rotating refresh tokens whose reuse revokes
// the whole login (token family).
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Store is what auth needs of the record store.
type Store interface {
	// CreateUser returns ECONFLICT if the email is taken.
	CreateUser(ctx context.Context, u *quizflow.User) error
	// UserByEmail and UserByID return ENOTFOUND for unknown users.
	UserByEmail(ctx context.Context, email string) (*quizflow.User, error)
	UserByID(ctx context.Context, id string) (*quizflow.User, error)
	SaveRefreshToken(ctx context.Context, t quizflow.RefreshToken) error
	// ConsumeRefreshToken returns quizflow.ErrTokenReused on reuse.
	ConsumeRefreshToken(ctx context.Context, id, family string) (*quizflow.RefreshToken, error)
	RevokeTokenFamily(ctx context.Context, family string) error
}

// Config configures token issuance.
type Config struct {
	AccessSecret, RefreshSecret []byte
	AccessTTL, RefreshTTL       time.Duration
	// BcryptCost is the password hashing cost (default bcrypt.DefaultCost).
	BcryptCost int
	// AdminEmails lists (lower-case) emails of operators.
	AdminEmails []string
}

// Service implements the account use cases (quizflow.AccountService) over
// a Store.
type Service struct {
	cfg   Config
	store Store
	now   func() time.Time
	// dummyHash is compared against when an email is unknown, so a login
	// takes as long for unknown emails as for wrong passwords.
	dummyHash []byte
}

// New returns a Service.
func New(cfg Config, store Store) (*Service, error) {
	if len(cfg.AccessSecret) == 0 || len(cfg.RefreshSecret) == 0 {
		return nil, errors.New("auth: access and refresh secrets are required")
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("not a real password"), cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Service{cfg: cfg, store: store, now: time.Now, dummyHash: dummy}, nil
}

var _ quizflow.AccountService = (*Service)(nil)

// Password and field bounds.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72 // bcrypt's limit, in bytes
	MaxNameLen     = 100
	MaxEmailLen    = 254
)

var errBadLogin = quizflow.Errorf(quizflow.EUNAUTHORIZED, "Wrong email or password.")

// Register creates an account and logs it in. It returns EINVALID for a bad
// email, name or password and ECONFLICT for a taken email.
func (s *Service) Register(ctx context.Context, email, password, name string) (*quizflow.Session, error) {
	email = strings.TrimSpace(email)
	name = strings.TrimSpace(name)
	if err := validateEmail(email); err != nil {
		return nil, err
	}
	switch {
	case len(password) < MinPasswordLen:
		return nil, quizflow.Invalid("password", "The password must be at least %d characters.", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return nil, quizflow.Invalid("password", "The password must be at most %d bytes.", MaxPasswordLen)
	case name == "":
		return nil, quizflow.Invalid("name", "The name is required.")
	case utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name):
		return nil, quizflow.Invalid("name", "The name must be valid text of at most %d characters.", MaxNameLen)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u := &quizflow.User{Email: email, Name: name, PasswordHash: string(hash)}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return s.newSession(ctx, u, quizflow.NewID("fam"))
}

func validateEmail(email string) error {
	if len(email) > MaxEmailLen {
		return quizflow.Invalid("email", "The email address is too long.")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		return quizflow.Invalid("email", "Enter a valid email address, such as name@example.com.")
	}
	return nil
}

// Login checks credentials and starts a new login (token family). It
// returns one EUNAUTHORIZED message for an unknown email or a wrong password.
func (s *Service) Login(ctx context.Context, email, password string) (*quizflow.Session, error) {
	u, err := s.CheckPassword(ctx, email, password)
	if err != nil {
		return nil, err
	}
	return s.newSession(ctx, u, quizflow.NewID("fam"))
}

// CheckPassword returns the user with email if password is theirs, with
// Admin set, without starting a login. It returns one EUNAUTHORIZED message
// for an unknown email or a wrong password.
func (s *Service) CheckPassword(ctx context.Context, email, password string) (*quizflow.User, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash, []byte(password))
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, errBadLogin
	}
	s.markAdmin(u)
	return u, nil
}

// Refresh consumes a refresh token and returns a new pair of the same login.
// A token presented twice revokes the login and returns EUNAUTHORIZED.
func (s *Service) Refresh(ctx context.Context, token string) (*quizflow.Session, error) {
	c, err := s.parse(token, s.cfg.RefreshSecret, typeRefresh)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.ConsumeRefreshToken(ctx, c.ID, c.Family); err != nil {
		return nil, err
	}
	u, err := s.tokenUser(ctx, c)
	if err != nil {
		return nil, err
	}
	return s.newSession(ctx, u, c.Family)
}

// Logout revokes the login a refresh token belongs to.
func (s *Service) Logout(ctx context.Context, token string) error {
	c, err := s.parse(token, s.cfg.RefreshSecret, typeRefresh)
	if err != nil {
		return err
	}
	return s.store.RevokeTokenFamily(ctx, c.Family)
}

// Authenticate verifies an access token and returns its user, with Admin
// set from the configured operator emails.
func (s *Service) Authenticate(ctx context.Context, token string) (*quizflow.User, error) {
	c, err := s.parse(token, s.cfg.AccessSecret, typeAccess)
	if err != nil {
		return nil, err
	}
	u, err := s.tokenUser(ctx, c)
	if err != nil {
		return nil, err
	}
	s.markAdmin(u)
	return u, nil
}

// tokenUser loads the user a verified token names; a user deleted since
// makes the token invalid.
func (s *Service) tokenUser(ctx context.Context, c *claims) (*quizflow.User, error) {
	u, err := s.store.UserByID(ctx, c.Subject)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		return nil, errInvalidToken
	}
	return u, err
}

// User returns the user with id, with Admin set, or ENOTFOUND.
func (s *Service) User(ctx context.Context, id string) (*quizflow.User, error) {
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.markAdmin(u)
	return u, nil
}

func (s *Service) markAdmin(u *quizflow.User) {
	for _, e := range s.cfg.AdminEmails {
		if e == u.EmailKey {
			u.Admin = true
		}
	}
}

func (s *Service) newSession(ctx context.Context, u *quizflow.User, family string) (*quizflow.Session, error) {
	now := s.now()
	access, err := s.sign(claims{
		Type: typeAccess,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: u.ID, ID: quizflow.NewID("at"),
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
		},
	}, s.cfg.AccessSecret)
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
	}, s.cfg.RefreshSecret)
	if err != nil {
		return nil, err
	}
	if err := s.store.SaveRefreshToken(ctx, rt); err != nil {
		return nil, err
	}
	s.markAdmin(u)
	return &quizflow.Session{User: u, AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTTL.Seconds())}, nil
}
