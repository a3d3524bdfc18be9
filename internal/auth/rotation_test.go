package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"

	"github.com/quizflow/quizflow/internal/auth"
	"github.com/quizflow/quizflow/internal/mail"
	"github.com/quizflow/quizflow/internal/mongostore"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/revocation"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Secrets of a rotation: the old pair, then the new one.
var (
	oldAccess  = []byte("old-access-secret-0123456789abcdefghij")
	oldRefresh = []byte("old-refresh-secret-0123456789abcdefghij")
	newAccess  = []byte("new-access-secret-9876543210zyxwvutsrq")
	newRefresh = []byte("new-refresh-secret-9876543210zyxwvutsrq")
)

// rotation is what the rotation tests need: one store and revocation list
// shared by services built with different secrets, as the API's replicas
// are across a rolling update.
type rotation struct {
	ctx     context.Context
	store   *mongostore.Store
	revoked *revocation.List
}

func setup(t *testing.T) *rotation {
	t.Helper()
	env := testenv.New(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	s, err := mongostore.Open(ctx, env.MongoURI, env.MongoDB)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return &rotation{ctx: ctx, store: s, revoked: revocation.New(testenv.RedisClient(t, env), time.Hour)}
}

// service returns an auth.Service with the secrets of cfg.
func (r *rotation) service(t *testing.T, cfg auth.Config) *auth.Service {
	t.Helper()
	cfg.AccessTTL, cfg.RefreshTTL, cfg.BcryptCost = 15*time.Minute, 24*time.Hour, bcrypt.MinCost
	s, err := auth.New(cfg, auth.Deps{Log: zerolog.Nop(), Store: r.store, Revocations: r.revoked})
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	return s
}

// kid returns the kid header of token, "" if it has none.
func kid(t *testing.T, token string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("parse %q: %v", token, err)
	}
	k, _ := tok.Header["kid"].(string)
	return k
}

func wantUnauthorized(t *testing.T, what string, err error) {
	t.Helper()
	if quizflow.ErrorCode(err) != quizflow.EUNAUTHORIZED {
		t.Errorf("%s: got %v, want %s", what, err, quizflow.EUNAUTHORIZED)
	}
}

// TestRotationKeepsSessions walks a rotation: tokens of the old secrets
// keep working while those secrets are the previous ones, new tokens are
// signed with the new secrets, and the old tokens stop working once the
// previous secrets are removed.
func TestRotationKeepsSessions(t *testing.T) {
	r := setup(t)
	before := r.service(t, auth.Config{AccessSecret: oldAccess, RefreshSecret: oldRefresh})
	const email, password = "rotate@example.com", "a long and unusual passphrase 42"
	first, err := before.Register(r.ctx, email, password, "Rota")
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	second, err := before.Login(r.ctx, email, password)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if got, want := kid(t, first.AccessToken), auth.KeyID(oldAccess); got != want {
		t.Errorf("access token kid = %q, want %q", got, want)
	}
	if got, want := kid(t, first.RefreshToken), auth.KeyID(oldRefresh); got != want {
		t.Errorf("refresh token kid = %q, want %q", got, want)
	}
	for _, id := range []string{auth.KeyID(oldAccess), auth.KeyID(oldRefresh)} {
		if len(id) != 16 || strings.Contains(string(oldAccess)+string(oldRefresh), id) {
			t.Errorf("key id %q: want 16 hex characters that are not part of a secret", id)
		}
	}

	// The window: new secrets current, old ones previous.
	during := r.service(t, auth.Config{
		AccessSecret: newAccess, RefreshSecret: newRefresh,
		AccessSecretPrevious: oldAccess, RefreshSecretPrevious: oldRefresh,
	})
	if p, err := during.AuthenticateID(r.ctx, first.AccessToken); err != nil || p.User.ID != first.User.ID {
		t.Fatalf("old access token during the window: %v, %+v", err, p)
	}
	renewed, err := during.Refresh(r.ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("refresh with an old refresh token during the window: %v", err)
	}
	if got, want := kid(t, renewed.AccessToken), auth.KeyID(newAccess); got != want {
		t.Errorf("renewed access token kid = %q, want %q (the new secret signs)", got, want)
	}
	if got, want := kid(t, renewed.RefreshToken), auth.KeyID(newRefresh); got != want {
		t.Errorf("renewed refresh token kid = %q, want %q", got, want)
	}

	// A replica of the old release's secrets knows nothing of the new key.
	wantUnauthorized(t, "new token on a replica without the new secret", func() error {
		_, err := before.AuthenticateID(r.ctx, renewed.AccessToken)
		return err
	}())

	// After the window: the previous secrets are removed.
	after := r.service(t, auth.Config{AccessSecret: newAccess, RefreshSecret: newRefresh})
	if _, err := after.AuthenticateID(r.ctx, renewed.AccessToken); err != nil {
		t.Errorf("new access token after the window: %v", err)
	}
	if _, err := after.Refresh(r.ctx, renewed.RefreshToken); err != nil {
		t.Errorf("new refresh token after the window: %v", err)
	}
	_, err = after.AuthenticateID(r.ctx, second.AccessToken)
	wantUnauthorized(t, "old access token after the window", err)
	_, err = after.Refresh(r.ctx, second.RefreshToken)
	wantUnauthorized(t, "old refresh token after the window", err)
}

// forge signs claims of a valid access token for user with secret, method
// and header fields of the caller's choice.
func forge(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, user string) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(method, jwt.MapClaims{
		"typ": "access", "fam": "fam_forged", "iss": "quizflow", "sub": user, "jti": "at_forged",
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign forged token: %v", err)
	}
	return s
}

// TestKeyIDs checks which key a token's kid selects: unknown or malformed
// kids are refused even with a valid signature, a token without kid (as
// the release before key IDs issued) verifies against the current secret
// only, and the algorithm stays pinned to HS256.
// TestRotationKeepsUnsubscribeLinks: a link mailed before the access
// secret (from which the unsubscribe key is derived) was rotated works
// while the previous key is configured, and not after.
func TestRotationKeepsUnsubscribeLinks(t *testing.T) {
	r := setup(t)
	oldKey, newKey := []byte("old-unsubscribe-key-0123456789abcdef"), []byte("new-unsubscribe-key-0123456789abcdef")
	before := r.service(t, auth.Config{AccessSecret: oldAccess, RefreshSecret: oldRefresh, UnsubscribeKey: oldKey})
	sess, err := before.Register(r.ctx, "unsub-rotate@example.com", "a long and unusual passphrase 42", "U")
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	kind := quizflow.NotificationKinds[0]
	link := mail.UnsubscribeToken(oldKey, sess.User.ID, kind)

	after := r.service(t, auth.Config{AccessSecret: newAccess, RefreshSecret: newRefresh, UnsubscribeKey: newKey})
	if _, err := after.Unsubscribe(r.ctx, link); quizflow.ErrorCode(err) != quizflow.EUNAUTHORIZED {
		t.Errorf("old link without the previous key: %v, want unauthorized", err)
	}
	during := r.service(t, auth.Config{AccessSecret: newAccess, RefreshSecret: newRefresh, UnsubscribeKey: newKey, UnsubscribeKeyPrevious: oldKey})
	got, err := during.Unsubscribe(r.ctx, link)
	if err != nil || got != kind {
		t.Fatalf("old link during the rotation window: %q, %v", got, err)
	}
	if _, err := during.Unsubscribe(r.ctx, mail.UnsubscribeToken(newKey, sess.User.ID, kind)); err != nil {
		t.Errorf("new link during the rotation window: %v", err)
	}
	if _, err := during.Unsubscribe(r.ctx, mail.UnsubscribeToken([]byte("some-other-key-0123456789abcdefgh"), sess.User.ID, kind)); quizflow.ErrorCode(err) != quizflow.EUNAUTHORIZED {
		t.Errorf("a link of another key: %v, want unauthorized", err)
	}
}

func TestKeyIDs(t *testing.T) {
	r := setup(t)
	s := r.service(t, auth.Config{
		AccessSecret: newAccess, RefreshSecret: newRefresh,
		AccessSecretPrevious: oldAccess, RefreshSecretPrevious: oldRefresh,
	})
	const user = "usr_forged"
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"current kid", forge(t, jwt.SigningMethodHS256, newAccess, map[string]any{"kid": auth.KeyID(newAccess)}, user), true},
		{"previous kid", forge(t, jwt.SigningMethodHS256, oldAccess, map[string]any{"kid": auth.KeyID(oldAccess)}, user), true},
		{"no kid, current secret (previous release)", forge(t, jwt.SigningMethodHS256, newAccess, nil, user), true},
		{"no kid, previous secret", forge(t, jwt.SigningMethodHS256, oldAccess, nil, user), false},
		{"unknown kid, current secret", forge(t, jwt.SigningMethodHS256, newAccess, map[string]any{"kid": "0123456789abcdef"}, user), false},
		{"empty kid", forge(t, jwt.SigningMethodHS256, newAccess, map[string]any{"kid": ""}, user), false},
		{"numeric kid", forge(t, jwt.SigningMethodHS256, newAccess, map[string]any{"kid": 7}, user), false},
		{"current kid, previous secret", forge(t, jwt.SigningMethodHS256, oldAccess, map[string]any{"kid": auth.KeyID(newAccess)}, user), false},
		{"refresh secret's kid", forge(t, jwt.SigningMethodHS256, newRefresh, map[string]any{"kid": auth.KeyID(newRefresh)}, user), false},
		{"HS512 with the current secret", forge(t, jwt.SigningMethodHS512, newAccess, map[string]any{"kid": auth.KeyID(newAccess)}, user), false},
		{"alg none", forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": auth.KeyID(newAccess)}, user), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.AuthenticateID(r.ctx, tt.token)
			if tt.ok {
				if err != nil || p.User.ID != user {
					t.Fatalf("want accepted for %s, got %v, %+v", user, err, p)
				}
				return
			}
			wantUnauthorized(t, tt.name, err)
		})
	}
}

// TestPreviousMustDiffer: a previous secret equal to the current one is a
// mistake (the rotation did not happen), refused at start.
func TestPreviousMustDiffer(t *testing.T) {
	r := setup(t)
	for _, cfg := range []auth.Config{
		{AccessSecret: newAccess, RefreshSecret: newRefresh, AccessSecretPrevious: newAccess},
		{AccessSecret: newAccess, RefreshSecret: newRefresh, RefreshSecretPrevious: newRefresh},
	} {
		_, err := auth.New(cfg, auth.Deps{Store: r.store, Revocations: r.revoked})
		if err == nil || !strings.Contains(err.Error(), "is the current one") {
			t.Errorf("auth.New with previous == current: got %v, want an error", err)
		}
	}
}
