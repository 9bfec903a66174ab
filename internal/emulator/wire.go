package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// An apiError is an answer in the service's error envelope.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func newErr(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// The error families of the reference (§5.1, §5.2).

func errMissing(param string) *apiError {
	return newErr(400, "Missing"+param, "%s is mandatory for this action.", param)
}

// errInvalid is the gateway's answer to a value of the wrong type.
func errInvalid(param string) *apiError {
	name := param
	if i := strings.LastIndex(param, "."); i >= 0 {
		name = param[i+1:]
	}
	return newErr(400, "Invalid"+name, "Specified parameter %s is not valid.", param)
}

// errIllegal is the backend's answer to a value that breaks a rule.
func errIllegal(name, format string, args ...any) *apiError {
	return newErr(400, "IllegalParam."+name, format, args...)
}

func errNotFound(typ, id string) *apiError {
	return newErr(404, "ResourceNotFound."+typ, "The specified resource of %s is not found: %s.", typ, id)
}

func errStatus(typ, id, status string) *apiError {
	return newErr(400, "IncorrectStatus."+typ, "The current status of the resource does not support this operation, please retry again. %s %s is %s.", typ, id, status)
}

func errQuota(what, format string, args ...any) *apiError {
	return newErr(400, "QuotaExceeded."+what, format, args...)
}

func errDuplicate(name, format string, args ...any) *apiError {
	return newErr(400, "DuplicatedParam."+name, format, args...)
}

var (
	errDryRun          = newErr(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
	errConflict        = newErr(400, "OperationConflict", "Request was denied due to conflict with a previous request.")
	errTokenProcessing = newErr(400, "OperationFailed.LastTokenProcessing", "The last request with the same ClientToken is still being processed.")
)

// Resource type names used in codes.
const (
	typeFilter  = "TrafficMirrorFilter"
	typeRule    = "TrafficMirrorRule"
	typeSession = "TrafficMirrorSession"
)

// params are the merged request parameters with empty values dropped:
// the service (and Terraform's empty strings) treat "X=" as absent.
type params map[string]string

func cleanParams(raw map[string]string) params {
	p := params{}
	for k, v := range raw {
		if v != "" {
			p[k] = v
		}
	}
	return p
}

func (p params) str(name string) string { return p[name] }

// indexed returns the .N entries under prefix (prefix + ".N" or
// prefix + ".N.Field"), by N in numeric order.
func (p params) indexed(prefix string) ([]int, error) {
	seen := map[int]bool{}
	var ns []int
	pre := prefix + "."
	for k := range p {
		if !strings.HasPrefix(k, pre) {
			continue
		}
		rest := k[len(pre):]
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || rest != strconv.Itoa(n) {
			return nil, newErr(400, "Invalid"+lastSegment(prefix), "Specified parameter %s.%s is not valid: the list index must be a positive integer.", prefix, rest)
		}
		if !seen[n] {
			seen[n] = true
			ns = append(ns, n)
		}
	}
	sort.Ints(ns)
	return ns, nil
}

// list returns the values of prefix.N in order of N.
func (p params) list(prefix string) ([]string, error) {
	ns, err := p.indexed(prefix)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range ns {
		if v, ok := p[fmt.Sprintf("%s.%d", prefix, n)]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// entry is one prefix.N.Field group.
type entry struct {
	prefix string // e.g. "IngressRules.3"
	fields map[string]string
}

func (e entry) name(field string) string { return e.prefix + "." + field }

// structs returns the prefix.N.Field groups in order of N. It reads the
// parameters once: a request may carry thousands of them.
func (p params) structs(prefix string) ([]entry, error) {
	ns, err := p.indexed(prefix)
	if err != nil {
		return nil, err
	}
	groups := map[int]map[string]string{}
	pre := prefix + "."
	for k, v := range p {
		if !strings.HasPrefix(k, pre) {
			continue
		}
		rest := k[len(pre):]
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil {
			continue
		}
		if groups[n] == nil {
			groups[n] = map[string]string{}
		}
		groups[n][rest[i+1:]] = v
	}
	var out []entry
	for _, n := range ns {
		if g := groups[n]; len(g) > 0 {
			out = append(out, entry{prefix: fmt.Sprintf("%s.%d", prefix, n), fields: g})
		}
	}
	return out, nil
}

func parseInt(name, v string, min, max int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errInvalid(name)
	}
	if n < min || n > max {
		return 0, errIllegal(lastSegment(name), "The param of %s is illegal: %d is not within %d..%d.", name, n, min, max)
	}
	return n, nil
}

// optInt reads an optional integer; 0 counts as absent where zeroAbsent,
// because Terraform sends 0 for unset integers.
func (p params) optInt(name string, min, max int, zeroAbsent bool) (int, bool, error) {
	v, ok := p[name]
	if !ok {
		return 0, false, nil
	}
	if zeroAbsent && v == "0" {
		return 0, false, nil
	}
	n, err := parseInt(name, v, min, max)
	return n, err == nil, err
}

func (p params) optBool(name string) (bool, bool, error) {
	v, ok := p[name]
	if !ok {
		return false, false, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, errInvalid(name)
}

func (p params) required(names ...string) error {
	for _, n := range names {
		if p[n] == "" {
			return errMissing(n)
		}
	}
	return nil
}

func lastSegment(name string) string {
	if i := strings.LastIndex(name, "."); i >= 0 {
		return name[i+1:]
	}
	return name
}

// parseRequest merges the query string and a form body. Values keep their
// raw (possibly empty) form for signature checks.
func parseRequest(r *http.Request, body []byte) (query, merged map[string]string, err error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, newErr(400, "InvalidParameter", "The query string is malformed: %v", err)
	}
	query = map[string]string{}
	merged = map[string]string{}
	for k, vs := range q {
		query[k] = vs[0]
		merged[k] = vs[0]
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if len(body) > 0 && (ct == "" || strings.HasPrefix(ct, "application/x-www-form-urlencoded")) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, newErr(400, "InvalidParameter", "The form body is malformed: %v", err)
		}
		for k, vs := range form {
			merged[k] = vs[0]
		}
	}
	return query, merged, nil
}

// newRequestID returns an uppercase hex UUID, as the service's RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// writeBody writes a success body, putting RequestId first.
func writeBody(w http.ResponseWriter, now time.Time, status int, reqID string, body []byte) {
	out := make([]byte, 0, len(body)+64)
	out = append(out, `{"RequestId":"`...)
	out = append(out, reqID...)
	out = append(out, '"')
	inner := bytes.TrimSpace(body)
	inner = bytes.TrimPrefix(inner, []byte("{"))
	inner = bytes.TrimSuffix(inner, []byte("}"))
	if len(bytes.TrimSpace(inner)) > 0 {
		out = append(out, ',')
		out = append(out, inner...)
	}
	out = append(out, '}')
	writeRaw(w, now, status, reqID, out)
}

func writeRaw(w http.ResponseWriter, now time.Time, status int, reqID string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=utf-8")
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("x-acs-request-id", reqID)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// errorBody is the service's error envelope.
func errorBody(e *apiError, reqID, host string, prod product) []byte {
	return mustJSON(struct {
		RequestId string
		HostId    string
		Code      string
		Message   string
		Recommend string
	}{reqID, host, e.code, e.msg,
		"https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.code) + "&product=" + prod.name() + "&requestId=" + reqID})
}
