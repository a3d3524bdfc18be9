package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Browser sessions: with the header X-Auth-Mode: cookie, register, login
// and refresh set the refresh token as the cookie qf_refresh (HttpOnly, so
// a script on the page cannot read it; SameSite=Strict and scoped to
// /v1/auth, so it travels only to the auth routes) instead of returning it
// in the body, and refresh and logout read it from there. The access token
// stays in the page's memory. Every request in this mode, or carrying the
// cookie, must send an Origin equal to the server's own: a cross-site form
// or fetch cannot use the cookie.

const (
	refreshCookie  = "qf_refresh"
	authModeHeader = "X-Auth-Mode"
	cookiePath     = "/v1/auth"
)

// cookieMode reports whether a request uses the browser session mode: it
// says so in X-Auth-Mode, or it carries the cookie.
func cookieMode(c echo.Context) bool {
	if strings.EqualFold(strings.TrimSpace(c.Request().Header.Get(authModeHeader)), "cookie") {
		return true
	}
	_, err := c.Cookie(refreshCookie)
	return err == nil
}

// ownOrigin is the server's origin: PublicURL's scheme and host, or the
// request's scheme and Host without one. A PublicURL on port 0 (the
// default derived from PORT=0, "any free port") names no reachable origin
// and counts as none.
func (s *Server) ownOrigin(c echo.Context) string {
	if s.Config.PublicURL != "" {
		if u, err := url.Parse(s.Config.PublicURL); err == nil && u.Scheme != "" && u.Host != "" && u.Port() != "0" {
			return strings.ToLower(u.Scheme + "://" + u.Host)
		}
	}
	return requestOrigin(c)
}

// requestOrigin is the origin the request was sent to: its scheme and Host.
func requestOrigin(c echo.Context) string {
	return strings.ToLower(c.Scheme() + "://" + c.Request().Host)
}

// checkCookieOrigin refuses a cookie-mode request whose Origin is missing
// or another site's (403): the cookie is sent by the browser on its own,
// so only the origin tells the server the request came from its own page.
// Both PublicURL's origin and the one the request was sent to count as the
// server's own (a page opened at http://localhost:8080 while PUBLIC_URL
// says http://127.0.0.1:8080 is still this server's page): a cross-site
// request from a browser carries its page's Origin and this server's Host,
// which never agree.
func (s *Server) checkCookieOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !cookieMode(c) {
			return next(c)
		}
		origin, own := c.Request().Header.Get(echo.HeaderOrigin), s.ownOrigin(c)
		if origin == "" {
			return quizflow.Errorf(quizflow.EFORBIDDEN, "A cookie session request needs an Origin header (%s); send it from this server's own pages.", own)
		}
		if !strings.EqualFold(origin, own) && !strings.EqualFold(origin, requestOrigin(c)) {
			return quizflow.Errorf(quizflow.EFORBIDDEN, "Origin %q is not this server's origin (%s); cookie sessions work only from its own pages.", clipText(origin, 100), own)
		}
		return next(c)
	}
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (s *Server) refreshMaxAge() int {
	if s.Config.RefreshTTL <= 0 {
		return int((7 * 24 * time.Hour).Seconds())
	}
	return int(s.Config.RefreshTTL.Seconds())
}

// setRefreshCookie sets (maxAge > 0) or clears (maxAge 0) the cookie.
func (s *Server) setRefreshCookie(c echo.Context, token string, maxAge int) {
	ck := &http.Cookie{Name: refreshCookie, Value: token, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode}
	if maxAge <= 0 {
		ck.MaxAge = -1 // net/http writes Max-Age=0
		ck.Value = ""
	}
	c.SetCookie(ck)
}

// browserSession is a Session as cookie mode answers it: the refresh
// token is in the cookie, never in the body.
type browserSession struct {
	User        *quizflow.User `json:"user"`
	AccessToken string         `json:"access_token"`
	TokenType   string         `json:"token_type"`
	ExpiresIn   int            `json:"expires_in"`
}

// sendSession answers a new session: in cookie mode the refresh token as
// the cookie and the rest in the body, otherwise all of it in the body.
func (s *Server) sendSession(c echo.Context, status int, sess *quizflow.Session) error {
	if !cookieMode(c) {
		return c.JSON(status, sess)
	}
	s.setRefreshCookie(c, sess.RefreshToken, s.refreshMaxAge())
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(status, browserSession{User: sess.User, AccessToken: sess.AccessToken, TokenType: sess.TokenType, ExpiresIn: sess.ExpiresIn})
}

var errNoSessionCookie = quizflow.Errorf(quizflow.EUNAUTHORIZED, "No session cookie: sign in again.")

// cookieRefresh is POST /v1/auth/refresh in cookie mode: the cookie's
// token is consumed and the next one replaces it. A refused token (used,
// expired, revoked) clears the cookie.
func (s *Server) cookieRefresh(c echo.Context) error {
	ck, err := c.Cookie(refreshCookie)
	if err != nil || ck.Value == "" {
		s.setRefreshCookie(c, "", 0)
		return errNoSessionCookie
	}
	sess, err := s.Accounts.Refresh(c.Request().Context(), ck.Value)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.EUNAUTHORIZED {
			s.setRefreshCookie(c, "", 0)
		}
		return err
	}
	return s.sendSession(c, http.StatusOK, sess)
}

// cookieLogout is POST /v1/auth/logout in cookie mode: the cookie's login
// ends and the cookie is cleared. A cookie that no longer names a login
// (or none at all) still clears it: the browser is signed out either way.
func (s *Server) cookieLogout(c echo.Context) error {
	ck, err := c.Cookie(refreshCookie)
	s.setRefreshCookie(c, "", 0)
	if err == nil && ck.Value != "" {
		if err := s.Accounts.Logout(c.Request().Context(), ck.Value); err != nil && quizflow.ErrorCode(err) != quizflow.EUNAUTHORIZED {
			return err
		}
	}
	return c.NoContent(http.StatusNoContent)
}
