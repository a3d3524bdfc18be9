package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

const (
	adminRoot      = "/admin/queues"
	adminCookie    = "qf_admin"
	adminCookieTTL = 8 * time.Hour
)

// AdminRoot is where the operators' queue UI is served; build the UI
// (asynqmon) with this root path.
const AdminRoot = adminRoot

// mountAdmin serves the queue UI at /admin/queues for admin users. The UI's own
// requests carry no bearer header, so a browser signs in with HTTP Basic
// auth (email and password), which sets a signed, HttpOnly, SameSite=Strict
// session cookie scoped to /admin; API clients may send a bearer token.
//
// Basic credentials and bearer tokens only sign in (GET, HEAD, OPTIONS): a
// browser resends cached Basic credentials with any request, cross-site
// ones included, so a request that changes something (pausing a queue,
// deleting tasks) needs the session cookie and must come from the UI's
// own origin (sameOrigin); anything else is refused with 403.
func (s *Server) mountAdmin(e *echo.Echo) {
	if s.AdminUI == nil {
		return
	}
	h := echo.WrapHandler(s.AdminUI)
	g := e.Group(adminRoot, s.requireAdmin)
	g.Any("", h)
	g.Any("/*", h)
}

func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		changing := stateChanging(c.Request().Method)
		if changing && !sameOrigin(c) {
			return quizflow.Errorf(quizflow.EFORBIDDEN, "Cross-site request refused: changes to the queues must come from the queue UI's own pages.")
		}
		if ck, err := c.Cookie(adminCookie); err == nil {
			// The cookie proves who signed in; whether they are still an
			// operator is checked each time, so removal takes effect at once.
			if id, ok := s.validAdminCookie(ck.Value); ok {
				if u, err := s.Accounts.User(ctx, id); err == nil && u.Admin {
					return next(c)
				}
			}
		}
		if changing {
			return quizflow.Errorf(quizflow.EFORBIDDEN, "Sign in first: open %s in the browser (a GET), then retry; changes need the session that starts, not credentials alone.", adminRoot)
		}
		var user *quizflow.User
		if tok, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer "); ok {
			p, err := s.Accounts.Authenticate(ctx, tok)
			if err != nil {
				return bearerChallenge(c, err)
			}
			if p.APIKeyID != "" {
				return quizflow.Errorf(quizflow.EFORBIDDEN, "API keys cannot open the operators' UI.")
			}
			user = p.User
		} else if email, pw, ok := c.Request().BasicAuth(); ok {
			u, err := s.Accounts.CheckPassword(ctx, email, pw)
			if err == nil {
				user = u
			} else if quizflow.ErrorCode(err) != quizflow.EUNAUTHORIZED {
				return err
			}
		}
		if user == nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="QuizFlow operators", charset="UTF-8"`)
			return quizflow.Errorf(quizflow.EUNAUTHORIZED, "Sign in with an operator account.")
		}
		if !user.Admin {
			return quizflow.Errorf(quizflow.EFORBIDDEN, "This account is not an operator.")
		}
		c.SetCookie(&http.Cookie{
			Name: adminCookie, Value: s.signAdminCookie(user.ID, time.Now().Add(adminCookieTTL)),
			Path: "/admin", HttpOnly: true, SameSite: http.SameSiteStrictMode,
			Secure: c.Scheme() == "https", MaxAge: int(adminCookieTTL.Seconds()),
		})
		return next(c)
	}
}

func (s *Server) signAdminCookie(userID string, exp time.Time) string {
	payload := userID + "|" + strconv.FormatInt(exp.Unix(), 10)
	m := hmac.New(sha256.New, s.Config.AdminSecret)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validAdminCookie returns the user ID a cookie was signed for, if its
// signature holds and it has not expired.
func (s *Server) validAdminCookie(v string) (string, bool) {
	p, sig, ok := strings.Cut(v, ".")
	if !ok || len(v) > 512 {
		return "", false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return "", false
	}
	m := hmac.New(sha256.New, s.Config.AdminSecret)
	m.Write(payload)
	if !hmac.Equal(got, m.Sum(nil)) {
		return "", false
	}
	id, expS, ok := strings.Cut(string(payload), "|")
	exp, err := strconv.ParseInt(expS, 10, 64)
	if !ok || err != nil || time.Now().Unix() >= exp {
		return "", false
	}
	return id, true
}
