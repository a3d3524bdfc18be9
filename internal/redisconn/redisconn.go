// Package redisconn turns REDIS_URL into the two Redis clients QuizFlow
// needs with the same settings: asynq's connection option (for asynqmon,
// which dials its own connections) and a go-redis UniversalClient (shared
// by asynq's client, server and inspector, the rate limits, the caches,
// the token revocation list and the job-change relay).
//
// Three topologies are accepted, each with a TLS variant:
//
//	redis://[user:password@]host[:port][/db]
//	rediss://[user:password@]host[:port][/db]
//	redis-sentinel://[user:password@]host1:port1,host2:port2,.../[db]?master=NAME[&sentinel_username=U][&sentinel_password=P]
//	rediss-sentinel://... (TLS to the sentinels and to the data nodes)
//	redis-cluster://[user:password@]host1:port1,host2:port2,...[/]
//	rediss-cluster://...
//
// The user and password in the authority are those of the data nodes (the
// master and replicas, or the cluster's nodes); a Sentinel set-up whose
// sentinels have a password of their own takes it from sentinel_password.
// (asynq.ParseRedisURI reads the authority's password as the sentinels'
// instead; this package does not use it.) Ports default to 6379 for data
// nodes and 26379 for sentinels. TLS uses the system's roots (on Linux,
// SSL_CERT_FILE or SSL_CERT_DIR add a private CA) and checks each server's
// name against the host it was dialled by.
//
// Errors never contain the URL's passwords; Redact gives a loggable form.
package redisconn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Mode is the topology a URL names.
type Mode int

// Topologies.
const (
	// Single is one Redis server (redis://, rediss://).
	Single Mode = iota
	// Sentinel is a master found through Redis Sentinel (redis-sentinel://).
	Sentinel
	// Cluster is a Redis Cluster (redis-cluster://).
	Cluster
)

func (m Mode) String() string {
	switch m {
	case Sentinel:
		return "sentinel"
	case Cluster:
		return "cluster"
	}
	return "single"
}

// Bounds on a URL, which comes from the environment but is still checked.
const (
	maxURLLen = 4096
	maxAddrs  = 64
	maxDB     = 1 << 16
)

// Default ports.
const (
	defaultPort         = "6379"
	defaultSentinelPort = "26379"
)

// Options are the settings parsed from a REDIS_URL.
type Options struct {
	// Mode is the topology.
	Mode Mode
	// TLS is set for the rediss schemes: TLS 1.2 or later, system roots,
	// and (for Single) ServerName from the host; for several hosts it is
	// empty, so that each connection checks the name it dialled.
	TLS *tls.Config
	// Addrs are host:port pairs: the one server (Single), the sentinels
	// (Sentinel) or the seed nodes (Cluster).
	Addrs []string
	// Username and Password authenticate to the data nodes; empty means no
	// AUTH (Username empty with a Password means the default user).
	Username, Password string
	// DB is the database number (always 0 in a cluster).
	DB int
	// MasterName is the name the sentinels monitor (Sentinel only).
	MasterName string
	// SentinelUsername and SentinelPassword authenticate to the sentinels
	// (Sentinel only); empty means they need no AUTH.
	SentinelUsername, SentinelPassword string
}

// Parse parses a REDIS_URL in one of the forms of the package comment.
// Its errors name what is wrong without repeating any password.
func Parse(raw string) (*Options, error) {
	if len(raw) > maxURLLen {
		return nil, fmt.Errorf("redis URL is %d bytes long, more than %d", len(raw), maxURLLen)
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, errors.New("redis URL needs a scheme: redis://, rediss://, redis-sentinel:// or redis-cluster:// (with an s for TLS)")
	}
	o := &Options{}
	switch strings.ToLower(scheme) {
	case "redis":
	case "rediss":
		o.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	case "redis-sentinel":
		o.Mode = Sentinel
	case "rediss-sentinel":
		o.Mode, o.TLS = Sentinel, &tls.Config{MinVersion: tls.VersionTLS12}
	case "redis-cluster":
		o.Mode = Cluster
	case "rediss-cluster":
		o.Mode, o.TLS = Cluster, &tls.Config{MinVersion: tls.VersionTLS12}
	default:
		return nil, fmt.Errorf("redis URL scheme %q is not one of redis, rediss, redis-sentinel, rediss-sentinel, redis-cluster, rediss-cluster", clip(scheme))
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		return nil, errors.New("redis URL must not have a #fragment")
	}
	rest, rawQuery, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	var hosts string
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		if err := o.parseUserinfo(authority[:i]); err != nil {
			return nil, err
		}
		hosts = authority[i+1:]
	} else {
		hosts = authority
	}
	if err := o.parseHosts(hosts); err != nil {
		return nil, err
	}
	if err := o.parseDB(path); err != nil {
		return nil, err
	}
	if err := o.parseQuery(rawQuery); err != nil {
		return nil, err
	}
	if o.TLS != nil && o.Mode == Single {
		host, _, _ := net.SplitHostPort(o.Addrs[0])
		o.TLS.ServerName = host
	}
	return o, nil
}

// parseUserinfo reads user:password (either may be empty, percent-encoded).
func (o *Options) parseUserinfo(s string) error {
	user, pass, hasPass := strings.Cut(s, ":")
	var err error
	if o.Username, err = url.PathUnescape(user); err != nil {
		return errors.New("redis URL: the user name is not valid percent-encoding")
	}
	if o.Password, err = url.PathUnescape(pass); err != nil {
		return errors.New("redis URL: the password is not valid percent-encoding")
	}
	if o.Username != "" && (!hasPass || o.Password == "") {
		return errors.New("redis URL: a user name needs a password (user:password@)")
	}
	return nil
}

// parseHosts reads one host[:port] (Single) or a comma-separated list.
func (o *Options) parseHosts(s string) error {
	if s == "" {
		return errors.New("redis URL has no host")
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxAddrs {
		return fmt.Errorf("redis URL lists %d hosts, more than %d", len(parts), maxAddrs)
	}
	if o.Mode == Single && len(parts) > 1 {
		return errors.New("redis URL lists several hosts: use redis-sentinel:// (with ?master=) or redis-cluster:// for more than one")
	}
	port := defaultPort
	if o.Mode == Sentinel {
		port = defaultSentinelPort
	}
	seen := map[string]bool{}
	for _, p := range parts {
		addr, err := hostPort(p, port)
		if err != nil {
			return err
		}
		if seen[addr] {
			return fmt.Errorf("redis URL lists host %s twice", addr)
		}
		seen[addr] = true
		o.Addrs = append(o.Addrs, addr)
	}
	return nil
}

// hostPort checks one host[:port] and adds the default port if none.
func hostPort(s, defPort string) (string, error) {
	if s == "" {
		return "", errors.New("redis URL has an empty host in its list")
	}
	host, port := s, defPort
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1] // [IPv6] without a port
	} else if strings.Contains(s, ":") {
		return "", fmt.Errorf("redis URL host %q is not host:port", clip(s))
	}
	if host == "" {
		return "", fmt.Errorf("redis URL host %q has no host name", clip(s))
	}
	for _, r := range host {
		if !(r == '.' || r == '-' || r == '_' || r == ':' || r == '%' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "", fmt.Errorf("redis URL host %q has a character %q not allowed in a host name", clip(host), r)
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("redis URL host %q: port must be a number from 1 to 65535", clip(s))
	}
	return net.JoinHostPort(host, port), nil
}

// parseDB reads the path: empty or a database number.
func (o *Options) parseDB(path string) error {
	path = strings.TrimSuffix(path, "/")
	if path == "" {
		return nil
	}
	n, err := strconv.Atoi(path)
	if err != nil || n < 0 || n >= maxDB {
		return fmt.Errorf("redis URL path %q must be a database number (such as /0)", clip(path))
	}
	if o.Mode == Cluster && n != 0 {
		return errors.New("redis URL: a cluster has only database 0")
	}
	o.DB = n
	return nil
}

// parseQuery reads the Sentinel parameters; nothing else is accepted, so
// no setting is silently ignored.
func (o *Options) parseQuery(raw string) error {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return errors.New("redis URL query is not valid URL encoding")
	}
	allowed := map[string]bool{}
	if o.Mode == Sentinel {
		allowed = map[string]bool{"master": true, "sentinel_username": true, "sentinel_password": true}
	}
	for k, v := range q {
		if !allowed[k] {
			if o.Mode == Sentinel {
				return fmt.Errorf("redis URL parameter %q is not one of master, sentinel_username, sentinel_password", clip(k))
			}
			return fmt.Errorf("redis URL parameter %q is not accepted (only redis-sentinel URLs take parameters)", clip(k))
		}
		if len(v) > 1 {
			return fmt.Errorf("redis URL parameter %q is given %d times", k, len(v))
		}
	}
	if o.Mode != Sentinel {
		return nil
	}
	o.MasterName, o.SentinelUsername, o.SentinelPassword = q.Get("master"), q.Get("sentinel_username"), q.Get("sentinel_password")
	if o.MasterName == "" {
		return errors.New("redis URL: a redis-sentinel URL needs ?master=<name the sentinels monitor>")
	}
	if o.SentinelUsername != "" && o.SentinelPassword == "" {
		return errors.New("redis URL: sentinel_username needs sentinel_password")
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 64
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// String is the URL of o with its passwords replaced by "xxxxx", for logs.
func (o *Options) String() string {
	scheme := map[Mode]string{Single: "redis", Sentinel: "redis-sentinel", Cluster: "redis-cluster"}[o.Mode]
	if o.TLS != nil {
		scheme = "rediss" + strings.TrimPrefix(scheme, "redis")
	}
	var b strings.Builder
	b.WriteString(scheme + "://")
	if o.Password != "" {
		b.WriteString(url.PathEscape(o.Username) + ":xxxxx@")
	}
	b.WriteString(strings.Join(o.Addrs, ","))
	b.WriteString("/" + strconv.Itoa(o.DB))
	if o.Mode == Sentinel {
		q := url.Values{"master": {o.MasterName}}
		if o.SentinelUsername != "" {
			q.Set("sentinel_username", o.SentinelUsername)
		}
		if o.SentinelPassword != "" {
			q.Set("sentinel_password", "xxxxx")
		}
		b.WriteString("?" + q.Encode())
	}
	return b.String()
}

// Redact returns raw with its passwords replaced by "xxxxx" if it parses,
// and a fixed placeholder if it does not (a URL that does not parse may
// hold a password anywhere).
func Redact(raw string) string {
	o, err := Parse(raw)
	if err != nil {
		return "(unparsable redis URL)"
	}
	return o.String()
}

// AsynqConnOpt returns asynq's connection option for o: RedisClientOpt,
// RedisFailoverClientOpt or RedisClusterClientOpt.
func (o *Options) AsynqConnOpt() asynq.RedisConnOpt {
	switch o.Mode {
	case Sentinel:
		return asynq.RedisFailoverClientOpt{
			MasterName: o.MasterName, SentinelAddrs: o.Addrs,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword,
			Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.tls(),
		}
	case Cluster:
		return asynq.RedisClusterClientOpt{Addrs: o.Addrs, Username: o.Username, Password: o.Password, TLSConfig: o.tls()}
	}
	return asynq.RedisClientOpt{Addr: o.Addrs[0], Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.tls()}
}

// NewClient returns a go-redis client for o: a *redis.Client (Single), a
// failover *redis.Client that asks the sentinels for the master on every
// new connection and follows their switch-master announcements
// (Sentinel), or a *redis.ClusterClient (Cluster). The caller closes it.
func (o *Options) NewClient() redis.UniversalClient {
	switch o.Mode {
	case Sentinel:
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: o.MasterName, SentinelAddrs: o.Addrs,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword,
			Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.tls(),
		})
	case Cluster:
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: o.Addrs, Username: o.Username, Password: o.Password, TLSConfig: o.tls()})
	}
	return redis.NewClient(&redis.Options{Addr: o.Addrs[0], Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.tls()})
}

// tls returns a copy of o.TLS, so that clients never share one mutable
// config.
func (o *Options) tls() *tls.Config {
	if o.TLS == nil {
		return nil
	}
	return o.TLS.Clone()
}
