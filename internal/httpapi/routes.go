package httpapi

import "github.com/labstack/echo/v4"

// routes lists the whole API surface, but for GET /metrics (added by
// WithMetrics), /admin/queues (mounted when Redis is configured) and the
// web app (every other GET path).
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/healthz", s.healthz) // load balancers often probe with HEAD
	e.HEAD("/readyz", s.readyz)
	e.GET("/openapi.yaml", s.openapi)

	v1 := e.Group("/v1")
	// Routes under /v1/auth receive the browser's session cookie, so each
	// checks the Origin of a cookie-mode request (session_cookie.go).
	origin := s.checkCookieOrigin
	v1.POST("/auth/register", s.register, s.limitRegistrations, origin)
	v1.POST("/auth/login", s.login, origin)
	v1.POST("/auth/refresh", s.refresh, origin)
	v1.POST("/auth/logout", s.logout, origin)
	v1.POST("/auth/verify", s.verifyEmail, origin)
	v1.POST("/auth/password/forgot", s.forgotPassword, s.limitRegistrations, origin)
	v1.POST("/auth/password/reset", s.resetPassword, origin)
	// The page an unsubscribe link opens (an HTML form; GET changes
	// nothing). The verification and reset links open the web app.
	e.GET("/unsubscribe", s.unsubscribePage)
	e.POST("/unsubscribe", s.unsubscribe)

	// Routes below need a user. The middleware is set per route, not on a
	// group, so unknown paths answer 404 rather than 401.
	u := authed{v1, s.requireUser}
	u.GET("/me", s.me)
	u.PATCH("/me", s.patchMe)
	v1.POST("/auth/verify/resend", s.resendVerification, s.requireUser, origin)
	u.GET("/me/notifications", s.getNotifications)
	u.PATCH("/me/notifications", s.patchNotifications)
	v1.PATCH("/me/password", s.changePassword, s.requireUser, origin)
	v1.POST("/auth/logout-all", s.logoutAll, s.requireUser, origin)
	u.GET("/limits", s.getLimits)
	u.POST("/api-keys", s.createAPIKey)
	u.GET("/api-keys", s.listAPIKeys)
	u.DELETE("/api-keys/:id", s.deleteAPIKey)

	u.POST("/documents", s.uploadDocument)
	u.GET("/documents", s.listDocuments)
	u.GET("/documents/:id", s.getDocument)
	u.DELETE("/documents/:id", s.deleteDocument)
	u.GET("/documents/:id/text", s.getDocumentText)
	u.POST("/documents/:id/quizzes", s.newQuiz)

	u.GET("/jobs", s.listJobs)
	// Polled and streamed: authenticated by the token alone (no store read).
	idOnly := authed{v1, s.requireUserID}
	idOnly.GET("/jobs/:id", s.getJob)
	idOnly.GET("/jobs/:id/events", s.streamJob)

	u.GET("/quizzes", s.listQuizzes)
	u.GET("/quizzes/:id", s.getQuiz)

	// Exports.
	u.POST("/quizzes/:id/exports", s.createExport)
	u.GET("/exports", s.listExports)
	u.GET("/exports/:id", s.getExport)
	u.GET("/exports/:id/download", s.downloadExport)
	v1.GET("/export-formats", s.exportFormats) // public: the same for everyone
	// End of exports.

	u.PATCH("/quizzes/:id", s.patchQuiz, ifMatch)
	u.DELETE("/quizzes/:id", s.deleteQuiz)
	u.POST("/quizzes/:id/questions", s.addQuestion, ifMatch)
	u.PATCH("/quizzes/:id/questions/:qid", s.patchQuestion, ifMatch)
	u.DELETE("/quizzes/:id/questions/:qid", s.deleteQuestion, ifMatch)
	u.POST("/quizzes/:id/questions/:qid/regenerate", s.regenerateQuestion)

	// Share links and attempts (share.go); /v1/shared/... is public.
	u.POST("/quizzes/:id/share", s.createShare)
	u.GET("/quizzes/:id/share", s.getShare)
	u.DELETE("/quizzes/:id/share", s.deleteShare)
	u.GET("/quizzes/:id/attempts", s.listAttempts)
	u.PATCH("/quizzes/:id/attempts/:attempt_id", s.gradeAttempt)
	u.POST("/quizzes/:id/score", s.scoreQuiz)
	v1.GET("/shared/:token", s.getSharedQuiz, s.limitShared)
	v1.POST("/shared/:token/attempts", s.submitAttempt, s.limitShared)

	// Plans and billing (billing.go).
	v1.GET("/plans", s.listPlans)                // public: the same for everyone
	v1.POST("/billing/webhook", s.stripeWebhook) // Stripe: signed, no user
	u.GET("/billing", s.getBilling)
	u.POST("/billing/checkout", s.checkout)
	u.POST("/billing/portal", s.portal)

	// Operators only (backups.go): a backup now, and the list of backups.
	v1.POST("/admin/backups", s.startBackup, s.requireUser, s.requireOperator)
	v1.GET("/admin/backups", s.listBackups, s.requireUser, s.requireOperator)

	s.mountAdmin(e)
	s.mountWebApp(e) // the browser app, for paths no route matched (webapp.go)
}

// authed registers routes of a group behind one middleware.
type authed struct {
	g  *echo.Group
	mw echo.MiddlewareFunc
}

// Each runs a.mw first, then the route's own middleware m.
func (a authed) GET(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	a.g.GET(p, h, append([]echo.MiddlewareFunc{a.mw}, m...)...)
}
func (a authed) POST(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	a.g.POST(p, h, append([]echo.MiddlewareFunc{a.mw}, m...)...)
}
func (a authed) PATCH(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	a.g.PATCH(p, h, append([]echo.MiddlewareFunc{a.mw}, m...)...)
}
func (a authed) DELETE(p string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	a.g.DELETE(p, h, append([]echo.MiddlewareFunc{a.mw}, m...)...)
}
