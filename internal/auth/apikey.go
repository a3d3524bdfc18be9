package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// API keys are "qf_" and 32 random bytes in base32. Only the SHA-256 of a
// key is stored; the record's ID derives from that hash, so a request finds
// its key by _id (the one lookup every store serves fast) and never by
// secret.
const (
	apiKeyPrefix = "qf_"
	// maxAPIKeys bounds the keys of one user.
	maxAPIKeys = 50
	// touchEvery bounds how often a key's last-used time is written.
	touchEvery = time.Minute
)

var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func keyHash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// keyID derives the record ID of the key whose hash is h.
func keyID(h []byte) string { return "key_" + keyEncoding.EncodeToString(h[:15]) }

// CreateAPIKey implements quizflow.AccountService.
func (s *Service) CreateAPIKey(ctx context.Context, p *quizflow.Principal, r quizflow.APIKeyRequest) (*quizflow.NewAPIKey, error) {
	if p.APIKeyID != "" {
		return nil, errKeyForbidden
	}
	name := strings.TrimSpace(r.Name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name) {
		return nil, quizflow.Invalid("name", "Name the key (1 to %d characters), e.g. after the service that uses it.", MaxNameLen)
	}
	scopes := slices.Clone(r.Scopes)
	if len(scopes) == 0 {
		return nil, quizflow.Invalid("scopes", "List the key's scopes: read, write or both.")
	}
	for _, sc := range scopes {
		if sc != quizflow.ScopeRead && sc != quizflow.ScopeWrite {
			return nil, quizflow.Invalid("scopes", "Unknown scope %q; use read, write or both.", truncate(sc, 20))
		}
	}
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	if r.ExpiresAt != nil && !r.ExpiresAt.After(s.now()) {
		return nil, quizflow.Invalid("expires_at", "expires_at must be in the future.")
	}
	have, err := s.Store.APIKeys(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	if len(have) >= maxAPIKeys {
		return nil, quizflow.Errorf(quizflow.ECONFLICT, "An account holds at most %d API keys; delete one first.", maxAPIKeys)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	secret := apiKeyPrefix + keyEncoding.EncodeToString(b[:])
	h := keyHash(secret)
	k := quizflow.APIKey{
		ID: keyID(h), OwnerID: p.User.ID, Name: name, Scopes: scopes,
		Prefix: secret[:len(apiKeyPrefix)+6], Hash: hex.EncodeToString(h),
	}
	if r.ExpiresAt != nil {
		t := r.ExpiresAt.UTC()
		k.ExpiresAt = &t
	}
	if err := s.Store.CreateAPIKey(ctx, &k); err != nil {
		return nil, err
	}
	s.Log.Info().Str("user_id", p.User.ID).Str("key_id", k.ID).Strs("scopes", scopes).Msg("API key created")
	s.notifyKeyCreated(ctx, p.User, &k)
	return &quizflow.NewAPIKey{APIKey: k, Key: secret}, nil
}

// APIKeys implements quizflow.AccountService.
func (s *Service) APIKeys(ctx context.Context, p *quizflow.Principal) ([]quizflow.APIKey, error) {
	if p.APIKeyID != "" {
		return nil, errKeyForbidden
	}
	return s.Store.APIKeys(ctx, p.User.ID)
}

// DeleteAPIKey implements quizflow.AccountService.
func (s *Service) DeleteAPIKey(ctx context.Context, p *quizflow.Principal, id string) error {
	if p.APIKeyID != "" {
		return errKeyForbidden
	}
	if !quizflow.ValidID("key", id) {
		return quizflow.Errorf(quizflow.ENOTFOUND, "API key not found")
	}
	if err := s.Store.DeleteAPIKey(ctx, p.User.ID, id); err != nil {
		return err
	}
	s.Log.Info().Str("user_id", p.User.ID).Str("key_id", id).Msg("API key deleted")
	return nil
}

var errBadKey = quizflow.Errorf(quizflow.EUNAUTHORIZED, "The API key is invalid, expired or revoked.")

// authenticateKey finds the key by the ID its hash derives, then compares
// the whole hash in constant time.
func (s *Service) authenticateKey(ctx context.Context, secret string) (*quizflow.Principal, error) {
	if len(secret) > 128 {
		return nil, errBadKey
	}
	h := keyHash(secret)
	k, err := s.Store.APIKey(ctx, keyID(h), "")
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		return nil, errBadKey
	}
	if err != nil {
		return nil, err
	}
	stored, err := hex.DecodeString(k.Hash)
	now := s.now()
	if err != nil || subtle.ConstantTimeCompare(stored, h) != 1 || (k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)) {
		return nil, errBadKey
	}
	u, err := s.tokenUser(ctx, k.OwnerID)
	if err != nil {
		return nil, err
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= touchEvery {
		if err := s.Store.TouchAPIKey(ctx, k.ID, now.UTC()); err != nil {
			s.Log.Warn().Err(err).Str("key_id", k.ID).Msg("record API key use")
		}
	}
	return &quizflow.Principal{User: u, APIKeyID: k.ID, Scopes: k.Scopes}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
