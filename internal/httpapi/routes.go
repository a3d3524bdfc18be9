package httpapi

// routes lists the whole API surface.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	v1 := e.Group("/v1")
	v1.POST("/auth/register", s.register)
	v1.POST("/auth/login", s.login)
	v1.POST("/auth/refresh", s.refresh)
	v1.POST("/auth/logout", s.logout)

	u := v1.Group("", s.requireUser)
	u.GET("/me", s.me)

	u.POST("/documents", s.uploadDocument)
	u.GET("/documents", s.listDocuments)
	u.GET("/documents/:id", s.getDocument)
	u.DELETE("/documents/:id", s.deleteDocument)
	u.GET("/documents/:id/text", s.getDocumentText)

	u.GET("/jobs", s.listJobs)
	u.GET("/jobs/:id", s.getJob)

	u.GET("/quizzes", s.listQuizzes)
	u.GET("/quizzes/:id", s.getQuiz)

	s.mountAdmin(e)
}
