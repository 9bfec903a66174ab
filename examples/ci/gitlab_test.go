package ci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"gopkg.in/yaml.v3"

	"github.com/tmsync/tmsync/internal/emulator"
)

// The scripts under testdata/gitlab/*.txtar run the GitLab CI template as a
// GitLab runner (docker executor) would: a job's before_script and script
// lines in one shell, generated as the runner generates it (gitlabScript:
// errexit, pipefail when the shell has it, each line echoed, then run), in
// bash, the shell the runner picks in the template's image; with the
// pipeline's, the project's and the job's variables, on a checkout made of
// the script's files and the copy of scripts/install.sh the template expects
// in .gitlab/. The steps see the machine's programs (curl and jq among them)
// and a fake apt-get that only checks the packages are there; tmsync is
// installed by the template, from a fake release. The GitLab API is a fake
// served by the test (fakeGitLab), which keeps merge request notes, issues,
// pipelines, jobs and artifacts, and writes notes and issues to
// $WORK/.gitlab for the scripts to read.
//
// Commands:
//
//	glci SOURCE JOB [mr=N] [sha=SHA] [var.NAME=VALUE]
//	                                 run JOB (each entry of its matrix) in a
//	                                 pipeline of SOURCE (merge_request_event,
//	                                 push, schedule, web); fails when the job
//	                                 fails or does not run; the log is in
//	                                 $WORK/glci.log
//	merged MR SHA HEAD               merge request MR was merged as commit
//	                                 SHA from its head commit HEAD
//	console rename-filter NAME NEW | console create-filter NAME
func TestGitLab(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (.ci/run installs it)", tool)
		}
	}
	template, err := filepath.Abs(filepath.Join("gitlab", "tmsync.gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := loadGitLab(template)
	if err != nil {
		t.Fatal(err)
	}
	rel := newFakeRelease(t, pl.Variables["TMSYNC_VERSION"])
	path := runnerPath(t, "apt-get")
	install, err := filepath.Abs(filepath.Join("..", "..", "scripts", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "gitlab"),
		Setup: func(env *testscript.Env) error {
			srv, err := emulator.NewServer(emulator.Options{AccessKeys: map[string]string{ciKeyID: ciKeySecret},
				AsyncDelay: 10 * time.Millisecond})
			if err != nil {
				return err
			}
			env.Defer(func() { srv.Close() })
			gl := newFakeGitLab(filepath.Join(env.WorkDir, ".gitlab"))
			env.Defer(gl.Close)
			env.Values[fakeGitLabKey{}] = gl
			env.Setenv("TMSYNC_ENDPOINT", srv.URL())
			env.Setenv("TMSYNC_RELEASE_URL", rel.URL)
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			env.Setenv("TEMPLATE", template)
			env.Setenv("CI_TEST_SHA256SUMS_SHA256", rel.SumsSHA256)
			env.Setenv("CI_TEST_RUNNER_PATH", path)
			env.Setenv("CI_TEST_INSTALL_SCRIPT", install)
			return os.MkdirAll(filepath.Join(env.WorkDir, ".gitlab"), 0o755)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"glci":    cmdGLCI,
			"merged":  cmdMerged,
			"console": cmdConsole,
		},
	})
}

type fakeGitLabKey struct{}

// A glPipeline is the part of a .gitlab-ci.yml the runner and GitLab read.
type glPipeline struct {
	Workflow struct {
		Rules []glRule `yaml:"rules"`
	} `yaml:"workflow"`
	Variables map[string]string `yaml:"variables"`
	Jobs      map[string]glJob  `yaml:"-"`
}

type glRule struct {
	If string `yaml:"if"`
}

type glJob struct {
	Extends      string            `yaml:"extends"`
	Image        string            `yaml:"image"`
	Stage        string            `yaml:"stage"`
	Rules        []glRule          `yaml:"rules"`
	Variables    map[string]string `yaml:"variables"`
	IDTokens     map[string]any    `yaml:"id_tokens"`
	BeforeScript []string          `yaml:"before_script"`
	Script       []string          `yaml:"script"`
	AfterScript  []string          `yaml:"after_script"`
	Parallel     struct {
		Matrix []map[string][]string `yaml:"matrix"`
	} `yaml:"parallel"`
	Artifacts struct {
		Paths []string `yaml:"paths"`
		When  string   `yaml:"when"`
	} `yaml:"artifacts"`
	ResourceGroup string `yaml:"resource_group"`
	Interruptible bool   `yaml:"interruptible"`
}

func loadGitLab(path string) (glPipeline, error) {
	var pl glPipeline
	b, err := os.ReadFile(path)
	if err != nil {
		return pl, err
	}
	if err := yaml.Unmarshal(b, &pl); err != nil {
		return pl, err
	}
	var all map[string]yaml.Node
	if err := yaml.Unmarshal(b, &all); err != nil {
		return pl, err
	}
	pl.Jobs = map[string]glJob{}
	for name, node := range all {
		switch name {
		case "workflow", "variables", "stages", "default", "include":
			continue
		}
		var j glJob
		if err := node.Decode(&j); err != nil {
			return pl, fmt.Errorf("job %s: %w", name, err)
		}
		pl.Jobs[name] = j
	}
	return pl, nil
}

// job returns a job with what it extends merged in: the job's own keys win,
// variables merge.
func (pl glPipeline) job(name string) (glJob, bool) {
	j, ok := pl.Jobs[name]
	if !ok || j.Extends == "" {
		return j, ok
	}
	base, ok := pl.job(j.Extends)
	if !ok {
		return j, false
	}
	out := base
	vars := map[string]string{}
	for k, v := range base.Variables {
		vars[k] = v
	}
	for k, v := range j.Variables {
		vars[k] = v
	}
	out.Variables = vars
	if j.Image != "" {
		out.Image = j.Image
	}
	if j.Stage != "" {
		out.Stage = j.Stage
	}
	if j.Rules != nil {
		out.Rules = j.Rules
	}
	if j.IDTokens != nil {
		out.IDTokens = j.IDTokens
	}
	if j.BeforeScript != nil {
		out.BeforeScript = j.BeforeScript
	}
	if j.Script != nil {
		out.Script = j.Script
	}
	if j.AfterScript != nil {
		out.AfterScript = j.AfterScript
	}
	if j.Parallel.Matrix != nil {
		out.Parallel = j.Parallel
	}
	if j.Artifacts.Paths != nil {
		out.Artifacts = j.Artifacts
	}
	if j.ResourceGroup != "" {
		out.ResourceGroup = j.ResourceGroup
	}
	out.Interruptible = j.Interruptible || base.Interruptible
	out.Extends = ""
	return out, true
}

// bashImages are the images the template may use whose shell the runner
// picks is bash (it looks for bash first; an image without bash gets sh).
var bashImages = regexp.MustCompile(`^(debian|ubuntu|golang):`)

// gitlabScript is the script a GitLab runner (shells/bash.go) generates for
// the build stage of a job: errexit, pipefail when the shell has it, and
// then, evaluated in one shell, each line of before_script and script,
// echoed first as "$ line" (the first line of a multi-line one).
func gitlabScript(commands []string) string {
	var body strings.Builder
	for _, c := range commands {
		c = strings.TrimSpace(c)
		first, _, multi := strings.Cut(c, "\n")
		notice := "$ " + first
		if multi {
			notice += " # collapsed multi-line command"
		}
		body.WriteString("echo " + shellQuote(notice) + "\n")
		body.WriteString(c + "\n")
	}
	return "#!/usr/bin/env bash\n\n" +
		"trap exit 1 TERM\n\n" +
		"if set -o | grep pipefail > /dev/null; then set -o pipefail; fi; set -o errexit\n" +
		"set +o noclobber\n" +
		": | eval " + shellQuote(body.String()) + "\n" +
		"exit 0\n"
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

const (
	glProject = "42"
	glToken   = "glpat-fake-tmsync-ci"
)

func cmdGLCI(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: glci SOURCE JOB [mr=N] [sha=SHA] [var.NAME=VALUE]")
	}
	source, jobName := args[0], args[1]
	opts := map[string]string{"mr": "1", "sha": "0000000"}
	project := map[string]string{
		"TMSYNC_GITLAB_TOKEN":             glToken,
		"TMSYNC_SHA256SUMS_SHA256":        ts.Getenv("CI_TEST_SHA256SUMS_SHA256"),
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     ciKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": ciKeySecret,
	}
	for _, a := range args[2:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("glci: %q is not key=value", a)
		}
		if name, ok := strings.CutPrefix(k, "var."); ok {
			project[name] = v
			continue
		}
		opts[k] = v
	}
	gl := ts.Value(fakeGitLabKey{}).(*fakeGitLab)
	pl, err := loadGitLab(ts.Getenv("TEMPLATE"))
	ts.Check(err)
	job, ok := pl.job(jobName)
	if !ok {
		ts.Fatalf("glci: no job %q", jobName)
	}
	work := ts.Getenv("WORK")
	var log bytes.Buffer
	defer func() { ts.Check(os.WriteFile(filepath.Join(work, "glci.log"), log.Bytes(), 0o644)) }()

	pipelineID := gl.nextID()
	vars := map[string]string{
		"CI": "true", "GITLAB_CI": "true", "CI_SERVER_URL": gl.URL(), "CI_API_V4_URL": gl.URL() + "/api/v4",
		"CI_PROJECT_ID": glProject, "CI_PROJECT_PATH": "acme/mirror", "CI_DEFAULT_BRANCH": "main",
		"CI_PIPELINE_SOURCE": source, "CI_COMMIT_SHA": opts["sha"], "CI_PIPELINE_ID": strconv.Itoa(pipelineID),
		"CI_PIPELINE_URL": fmt.Sprintf("%s/acme/mirror/-/pipelines/%d", gl.URL(), pipelineID),
	}
	switch source {
	case "merge_request_event":
		vars["CI_MERGE_REQUEST_IID"] = opts["mr"]
		vars["CI_COMMIT_REF_NAME"] = "feature"
	default:
		vars["CI_COMMIT_BRANCH"] = "main"
		vars["CI_COMMIT_REF_NAME"] = "main"
	}
	for k, v := range project {
		vars[k] = v
	}
	for k, v := range pl.Variables {
		vars[k] = v
	}
	runs := rulesMatch(pl.Workflow.Rules, vars) && (job.Rules == nil || rulesMatch(job.Rules, vars))
	if !runs {
		fmt.Fprintf(&log, "job %s is not in a pipeline of %s\n", jobName, source)
		if !neg {
			ts.Fatalf("glci: job %s does not run in a pipeline of %s", jobName, source)
		}
		return
	}
	if !bashImages.MatchString(job.Image) {
		ts.Fatalf("glci: image %q: which shell the runner picks in it is not known here", job.Image)
	}
	if len(job.AfterScript) > 0 {
		ts.Fatalf("glci: after_script is not emulated")
	}
	entries := []map[string]string{{}}
	if len(job.Parallel.Matrix) > 0 {
		entries = nil
		for _, m := range job.Parallel.Matrix {
			for k, vs := range m {
				for _, v := range vs {
					entries = append(entries, map[string]string{k: v})
				}
			}
		}
	}
	failed := false
	var jobs []glJobRun
	for _, entry := range entries {
		name := jobName
		var values []string
		for _, k := range sortedKeys(entry) {
			values = append(values, entry[k])
		}
		if len(values) > 0 {
			name += ": [" + strings.Join(values, ", ") + "]"
		}
		run := runGitLabJob(ts, &log, gl, job, name, vars, entry)
		jobs = append(jobs, run)
		failed = failed || run.Status != "success"
	}
	status := "success"
	if failed {
		status = "failed"
	}
	if source == "merge_request_event" {
		mr, _ := strconv.Atoi(opts["mr"])
		gl.addPipeline(glPipelineRun{ID: pipelineID, MR: mr, SHA: opts["sha"], Status: status, Jobs: jobs})
	}
	ts.Logf("glci %s %s:\n%s", source, jobName, log.String())
	switch {
	case failed && !neg:
		ts.Fatalf("glci: job %s failed (see glci.log)", jobName)
	case !failed && neg:
		ts.Fatalf("glci: job %s succeeded unexpectedly", jobName)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// runGitLabJob runs one job of a pipeline in a fresh checkout and keeps its
// artifacts.
func runGitLabJob(ts *testscript.TestScript, log *bytes.Buffer, gl *fakeGitLab, job glJob, name string, pipelineVars, matrix map[string]string) glJobRun {
	work := ts.Getenv("WORK")
	temp, err := os.MkdirTemp(work, ".runner-")
	ts.Check(err)
	ws := filepath.Join(temp, "mirror")
	ts.Check(checkout(work, ws))
	ts.Check(copyFile(ts.Getenv("CI_TEST_INSTALL_SCRIPT"), filepath.Join(ws, ".gitlab", "tmsync-install.sh")))
	id := gl.nextID()
	vars := map[string]string{}
	for k, v := range pipelineVars {
		vars[k] = v
	}
	for k, v := range job.Variables {
		vars[k] = v
	}
	for k, v := range matrix {
		vars[k] = v
	}
	for k := range job.IDTokens {
		vars[k] = "fake.id.token"
	}
	vars["CI_JOB_ID"] = strconv.Itoa(id)
	vars["CI_JOB_NAME"] = name
	vars["CI_JOB_TOKEN"] = "fake-job-token"
	vars["CI_PROJECT_DIR"] = ws
	vars["CI_BUILDS_DIR"] = temp
	script := filepath.Join(temp, "script.sh")
	ts.Check(os.WriteFile(script, []byte(gitlabScript(append(append([]string{}, job.BeforeScript...), job.Script...))), 0o644))
	cmd := exec.Command("bash", script)
	cmd.Dir = ws
	cmd.Env = []string{"PATH=" + ts.Getenv("CI_TEST_RUNNER_PATH")}
	for _, k := range []string{"HOME", "TMPDIR", "XDG_CACHE_HOME", "TMSYNC_ENDPOINT", "TMSYNC_RELEASE_URL", "SYSTEMROOT"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = log, log
	fmt.Fprintf(log, "=== job %q\n", name)
	status := "success"
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(log, "job failed: %v\n", err)
		status = "failed"
	}
	when := job.Artifacts.When
	if when == "" {
		when = "on_success"
	}
	if when == "always" || (when == "on_success") == (status == "success") {
		for _, p := range job.Artifacts.Paths {
			b, err := os.ReadFile(filepath.Join(ws, p))
			if err != nil {
				fmt.Fprintf(log, "artifacts: no %s\n", p)
				continue
			}
			gl.addArtifact(id, p, b)
			fmt.Fprintf(log, "artifacts: %s of job %d kept\n", p, id)
		}
	}
	return glJobRun{ID: id, Name: name, Status: status}
}

// rulesMatch says whether one of rules matches (GitLab runs the job on the
// first rule whose if: holds).
func rulesMatch(rules []glRule, vars map[string]string) bool {
	for _, r := range rules {
		if evalGitLabIf(r.If, vars) {
			return true
		}
	}
	return false
}

// evalGitLabIf evaluates the part of GitLab's rules:if language the template
// uses: $VAR, "string", == and !=, && before ||. Anything else panics, so
// that a template using more fails its test instead of being misread.
func evalGitLabIf(e string, vars map[string]string) bool {
	for _, or := range strings.Split(e, "||") {
		all := true
		for _, and := range strings.Split(or, "&&") {
			if !evalGitLabTerm(strings.TrimSpace(and), vars) {
				all = false
			}
		}
		if all {
			return true
		}
	}
	return false
}

func evalGitLabTerm(e string, vars map[string]string) bool {
	for _, op := range []string{"==", "!="} {
		if l, r, ok := strings.Cut(e, op); ok {
			lv, ld := gitLabOperand(strings.TrimSpace(l), vars)
			rv, rd := gitLabOperand(strings.TrimSpace(r), vars)
			return (ld == rd && lv == rv) == (op == "==")
		}
	}
	v, defined := gitLabOperand(e, vars)
	return defined && v != ""
}

func gitLabOperand(s string, vars map[string]string) (value string, defined bool) {
	switch {
	case strings.HasPrefix(s, "$"):
		v, ok := vars[s[1:]]
		return v, ok
	case len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0]:
		return s[1 : len(s)-1], true
	case s == "null":
		return "", false
	}
	panic(fmt.Sprintf("rules:if operand %q is not emulated", s))
}

// cmdMerged records that merge request MR was merged as commit SHA from its
// head HEAD, as GitLab lists it for GET commits/SHA/merge_requests.
func cmdMerged(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: merged MR SHA HEAD")
	}
	mr, err := strconv.Atoi(args[0])
	ts.Check(err)
	ts.Value(fakeGitLabKey{}).(*fakeGitLab).merge(mr, args[1], args[2])
}

// A fakeGitLab serves the GitLab REST API calls the template makes, for
// project 42, to requests with the project token. It keeps its state in
// memory and writes notes (notes/ID.md, notes/ID.mr), issues (issues/IID.md,
// issues/IID.json) and a log ("METHOD PATH" per call) to dir.
type fakeGitLab struct {
	dir string
	srv *httptest.Server

	mu        sync.Mutex
	next      int
	notes     []glNote
	issues    []*glIssue
	merges    []map[string]any
	pipelines []glPipelineRun
	artifacts map[string][]byte // "JOB/PATH"
}

type glNote struct {
	ID   int
	MR   int
	Body string
}

type glIssue struct {
	IID         int      `json:"iid"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Labels      []string `json:"labels"`
	State       string   `json:"state"`
	Notes       []string `json:"notes"`
}

type glPipelineRun struct {
	ID     int
	MR     int
	SHA    string
	Status string
	Jobs   []glJobRun
}

type glJobRun struct {
	ID     int
	Name   string
	Status string
}

func newFakeGitLab(dir string) *fakeGitLab {
	gl := &fakeGitLab{dir: dir, next: 1000, artifacts: map[string][]byte{}}
	gl.srv = httptest.NewServer(http.HandlerFunc(gl.serve))
	return gl
}

func (gl *fakeGitLab) URL() string { return gl.srv.URL }
func (gl *fakeGitLab) Close()      { gl.srv.Close() }

func (gl *fakeGitLab) nextID() int {
	gl.mu.Lock()
	defer gl.mu.Unlock()
	gl.next++
	return gl.next
}

func (gl *fakeGitLab) addPipeline(p glPipelineRun) {
	gl.mu.Lock()
	defer gl.mu.Unlock()
	gl.pipelines = append(gl.pipelines, p)
}

func (gl *fakeGitLab) addArtifact(job int, path string, b []byte) {
	gl.mu.Lock()
	defer gl.mu.Unlock()
	gl.artifacts[fmt.Sprintf("%d/%s", job, path)] = b
}

func (gl *fakeGitLab) merge(mr int, sha, head string) {
	gl.mu.Lock()
	defer gl.mu.Unlock()
	gl.merges = append(gl.merges, map[string]any{"iid": mr, "state": "merged", "sha": head,
		"merge_commit_sha": sha, "squash_commit_sha": nil})
}

// glError is an answer of the API other than 200.
type glError struct {
	code int
	msg  string
}

func (gl *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
	gl.mu.Lock()
	defer gl.mu.Unlock()
	if err := appendLine(filepath.Join(gl.dir, "log"), r.Method+" "+r.URL.Path); err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	if r.Header.Get("PRIVATE-TOKEN") != glToken {
		http.Error(w, `{"message":"401 Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	out, gerr := gl.route(r)
	if gerr != nil {
		http.Error(w, fmt.Sprintf(`{"message":%q}`, gerr.msg), gerr.code)
		return
	}
	if b, ok := out.([]byte); ok {
		w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (gl *fakeGitLab) route(r *http.Request) (any, *glError) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v4/projects/"+glProject+"/")
	if !ok {
		return nil, &glError{404, "404 Project Not Found"}
	}
	p := strings.Split(rest, "/")
	m := r.Method
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch {
	case m == "GET" && len(p) == 3 && p[0] == "merge_requests" && p[2] == "notes":
		out := []any{}
		for _, n := range gl.notes {
			if n.MR == num(p[1]) {
				out = append(out, map[string]any{"id": n.ID, "body": n.Body, "system": false})
			}
		}
		return out, nil
	case m == "POST" && len(p) == 3 && p[0] == "merge_requests" && p[2] == "notes":
		n := glNote{ID: len(gl.notes) + 1, MR: num(p[1]), Body: r.PostForm.Get("body")}
		gl.notes = append(gl.notes, n)
		return map[string]any{"id": n.ID}, gl.writeNote(n)
	case m == "PUT" && len(p) == 4 && p[0] == "merge_requests" && p[2] == "notes":
		for i, n := range gl.notes {
			if n.ID == num(p[3]) && n.MR == num(p[1]) {
				gl.notes[i].Body = r.PostForm.Get("body")
				return map[string]any{"id": n.ID}, gl.writeNote(gl.notes[i])
			}
		}
		return nil, &glError{404, "404 Not found"}
	case m == "GET" && len(p) == 4 && p[0] == "repository" && p[1] == "commits" && p[3] == "merge_requests":
		out := []any{}
		for _, mr := range gl.merges {
			if mr["merge_commit_sha"] == p[2] || mr["sha"] == p[2] {
				out = append(out, mr)
			}
		}
		return out, nil
	case m == "GET" && len(p) == 3 && p[0] == "merge_requests" && p[2] == "pipelines":
		out := []any{}
		for i := len(gl.pipelines) - 1; i >= 0; i-- { // newest first
			pl := gl.pipelines[i]
			if pl.MR == num(p[1]) {
				out = append(out, map[string]any{"id": pl.ID, "sha": pl.SHA, "status": pl.Status,
					"ref": fmt.Sprintf("refs/merge-requests/%d/head", pl.MR)})
			}
		}
		return out, nil
	case m == "GET" && len(p) == 3 && p[0] == "pipelines" && p[2] == "jobs":
		scope := r.URL.Query()["scope[]"]
		for _, pl := range gl.pipelines {
			if pl.ID != num(p[1]) {
				continue
			}
			out := []any{}
			for _, j := range pl.Jobs {
				if len(scope) == 0 || contains(scope, j.Status) {
					out = append(out, map[string]any{"id": j.ID, "name": j.Name, "status": j.Status})
				}
			}
			return out, nil
		}
		return nil, &glError{404, "404 Not found"}
	case m == "GET" && len(p) >= 4 && p[0] == "jobs" && p[2] == "artifacts":
		b, ok := gl.artifacts[p[1]+"/"+strings.Join(p[3:], "/")]
		if !ok {
			return nil, &glError{404, "404 Not found"}
		}
		return b, nil
	case m == "GET" && len(p) == 1 && p[0] == "issues":
		q := r.URL.Query()
		out := []any{}
		for _, is := range gl.issues {
			if st := q.Get("state"); st != "" && st != "all" && st != is.State {
				continue
			}
			if l := q.Get("labels"); l != "" && !contains(is.Labels, l) {
				continue
			}
			out = append(out, is)
		}
		return out, nil
	case m == "POST" && len(p) == 1 && p[0] == "issues":
		is := &glIssue{IID: len(gl.issues) + 1, Title: r.PostForm.Get("title"), Description: r.PostForm.Get("description"),
			Labels: strings.Split(r.PostForm.Get("labels"), ","), State: "opened", Notes: []string{}}
		gl.issues = append(gl.issues, is)
		return is, gl.writeIssue(is)
	case len(p) >= 2 && p[0] == "issues":
		n := num(p[1])
		if n < 1 || n > len(gl.issues) {
			return nil, &glError{404, "404 Not found"}
		}
		is := gl.issues[n-1]
		switch {
		case m == "PUT" && len(p) == 2:
			if d, ok := r.PostForm["description"]; ok {
				is.Description = d[0]
			}
			switch r.PostForm.Get("state_event") {
			case "close":
				is.State = "closed"
			case "reopen":
				is.State = "opened"
			}
			return is, gl.writeIssue(is)
		case m == "POST" && len(p) == 3 && p[2] == "notes":
			is.Notes = append(is.Notes, r.PostForm.Get("body"))
			return map[string]any{"id": len(is.Notes)}, gl.writeIssue(is)
		}
	}
	return nil, &glError{404, fmt.Sprintf("%s %s is not faked", m, r.URL.Path)}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (gl *fakeGitLab) writeNote(n glNote) *glError {
	dir := filepath.Join(gl.dir, "notes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &glError{500, err.Error()}
	}
	id := strconv.Itoa(n.ID)
	if err := os.WriteFile(filepath.Join(dir, id+".mr"), []byte(strconv.Itoa(n.MR)), 0o644); err != nil {
		return &glError{500, err.Error()}
	}
	if err := os.WriteFile(filepath.Join(dir, id+".md"), []byte(n.Body), 0o644); err != nil {
		return &glError{500, err.Error()}
	}
	return nil
}

func (gl *fakeGitLab) writeIssue(is *glIssue) *glError {
	dir := filepath.Join(gl.dir, "issues")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &glError{500, err.Error()}
	}
	b, err := json.Marshal(is)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, strconv.Itoa(is.IID)+".json"), b, 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, strconv.Itoa(is.IID)+".md"), []byte(is.Description), 0o644)
	}
	if err != nil {
		return &glError{500, err.Error()}
	}
	return nil
}

// fakeAptGet is the apt-get of the runner's image: the packages the
// template asks for must be on the machine already; it installs nothing.
func fakeAptGet(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "apt-get (fake): no command")
		return 100
	}
	switch args[0] {
	case "update":
		return 0
	case "install":
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") || a == "ca-certificates" {
				continue
			}
			if _, err := exec.LookPath(a); err != nil {
				fmt.Fprintf(os.Stderr, "apt-get (fake): %s is not on this machine\n", a)
				return 100
			}
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "apt-get (fake): %s is not faked\n", args[0])
	return 100
}

// TestGitLabSerialisesStacks: the jobs that write or read a stack's live
// state on the default branch (apply, drift) share the stack's resource
// group, so that two of them never run at once (C13); GitLab queues a job
// waiting for its resource group and never cancels it. Plans of a merge
// request may be cancelled by a newer pipeline.
func TestGitLabSerialisesStacks(t *testing.T) {
	pl, err := loadGitLab(filepath.Join("gitlab", "tmsync.gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tmsync-apply", "tmsync-drift"} {
		j, ok := pl.job(name)
		if !ok {
			t.Fatalf("no job %s", name)
		}
		if j.ResourceGroup != "tmsync-$STACK" || j.Interruptible {
			t.Errorf("job %s: resource_group %q, interruptible %v; want tmsync-$STACK, not interruptible", name, j.ResourceGroup, j.Interruptible)
		}
	}
	if j, _ := pl.job("tmsync-plan"); !j.Interruptible || j.ResourceGroup != "" {
		t.Errorf("job tmsync-plan: interruptible %v, resource_group %q; want interruptible and no resource group", j.Interruptible, j.ResourceGroup)
	}
}
