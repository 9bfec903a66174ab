package ci

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"gopkg.in/yaml.v3"

	"github.com/tmsync/tmsync/internal/cloud"
	"github.com/tmsync/tmsync/internal/cloud/aliyun"
	"github.com/tmsync/tmsync/internal/emulator"
)

// The scripts under testdata/*.txtar run the GitHub Actions template as a
// runner would: each job's run: steps in order, each started as GitHub starts
// it (stepCommand), with the workflow's env, expressions, step outputs,
// GITHUB_ENV and GITHUB_PATH, on a checkout made of the script's files and
// the copy of scripts/install.sh the template expects in .github/. The
// steps see the machine's programs and a fake gh (this test binary) keeping
// pull requests, comments, issues and workflow runs in $WORK/.gh; tmsync is
// not on their PATH until the template installs it, with install.sh, from a
// fake release (newFakeRelease) of the template's TMSYNC_VERSION, whose pin
// is the repository variable TMSYNC_SHA256SUMS_SHA256. tmsync talks to an
// emulator in the test process.
//
// Of the uses: steps, upload-artifact and download-artifact copy files to and
// from $WORK/artifacts/NAME; the others (checkout, setup-go) are no-ops.
//
// Commands:
//
//	gha EVENT JOB [pr=N] [sha=SHA] [workflow=FILE] [vars.NAME=VALUE]
//	                                 run JOB for EVENT (fails when the job
//	                                 fails or does not run on EVENT); its
//	                                 output is in $WORK/gha.log; FILE is
//	                                 another workflow than the template;
//	                                 vars.NAME sets a repository variable
//	console rename-filter NAME NEW   rename a filter as a console user would
//	console create-filter NAME       make a filter no stack owns
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tmsync":  runTmsync,
		"gh":      func() { os.Exit(fakeGH(os.Args[1:], os.Stdout, os.Stderr)) },
		"apt-get": func() { os.Exit(fakeAptGet(os.Args[1:])) },
	})
}

const (
	ciKeyID     = "LTAIciworkflow01"
	ciKeySecret = "ci-workflow-secret-01"
	ciRepo      = "acme/mirror"
)

func TestWorkflow(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	template, err := filepath.Abs(filepath.Join("github", "tmsync.yml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	rel := newFakeRelease(t, wf.Env["TMSYNC_VERSION"])
	path := runnerPath(t, "gh")
	install, err := filepath.Abs(filepath.Join("..", "..", "scripts", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			srv, err := emulator.NewServer(emulator.Options{AccessKeys: map[string]string{ciKeyID: ciKeySecret},
				AsyncDelay: 10 * time.Millisecond})
			if err != nil {
				return err
			}
			env.Defer(func() { srv.Close() })
			env.Setenv("TMSYNC_ENDPOINT", srv.URL())
			env.Setenv("CI_TEST_ALIBABA_CLOUD_ACCESS_KEY_ID", ciKeyID)
			env.Setenv("CI_TEST_ALIBABA_CLOUD_ACCESS_KEY_SECRET", ciKeySecret)
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			env.Setenv("GH_FAKE_DIR", filepath.Join(env.WorkDir, ".gh"))
			env.Setenv("WORKFLOW", template)
			env.Setenv("TMSYNC_RELEASE_URL", rel.URL)
			env.Setenv("CI_TEST_SHA256SUMS_SHA256", rel.SumsSHA256)
			env.Setenv("CI_TEST_RUNNER_PATH", path)
			env.Setenv("CI_TEST_INSTALL_SCRIPT", install)
			return os.MkdirAll(filepath.Join(env.WorkDir, ".gh"), 0o755)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"gha":     cmdGHA,
			"console": cmdConsole,
		},
	})
}

// A workflow is the part of a GitHub Actions workflow the runner reads.
type workflow struct {
	Env      map[string]string `yaml:"env"`
	Defaults wfDefaults        `yaml:"defaults"`
	Jobs     map[string]struct {
		If       string            `yaml:"if"`
		Env      map[string]string `yaml:"env"`
		Defaults wfDefaults        `yaml:"defaults"`
		Strategy struct {
			Matrix map[string][]string `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []wfStep `yaml:"steps"`
	} `yaml:"jobs"`
}

type wfDefaults struct {
	Run struct {
		Shell string `yaml:"shell"`
	} `yaml:"run"`
}

type wfStep struct {
	ID    string            `yaml:"id"`
	Name  string            `yaml:"name"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

// stepCommand is the command line the runner starts for a run: step whose
// script is in the file script, on Linux, for the step's shell (the step's
// own, else the job's defaults.run.shell, else the workflow's): GitHub's
// table of shells, where no shell at all is `bash -e {0}`, without pipefail,
// and `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`.
func stepCommand(shell, script string) ([]string, error) {
	var template string
	switch shell {
	case "":
		template = "bash -e {0}"
	case "bash":
		template = "bash --noprofile --norc -eo pipefail {0}"
	case "sh":
		template = "sh -e {0}"
	default:
		if !strings.Contains(shell, "{0}") {
			return nil, fmt.Errorf("shell %q is not emulated", shell)
		}
		template = shell
	}
	argv := strings.Fields(template)
	for i, a := range argv {
		argv[i] = strings.ReplaceAll(a, "{0}", script)
	}
	return argv, nil
}

// baseEnv are the variables of the script passed on to the steps: the
// emulator's endpoint and the release's URL stand for the real ones.
var baseEnv = []string{"HOME", "TMPDIR", "WORK", "XDG_CACHE_HOME", "TMSYNC_ENDPOINT", "TMSYNC_RELEASE_URL", "GH_FAKE_DIR", "SYSTEMROOT"}

func cmdGHA(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: gha EVENT JOB [pr=N] [sha=SHA] [workflow=FILE]")
	}
	event, jobName := args[0], args[1]
	opts := map[string]string{"pr": "1", "sha": "0000000", "workflow": ts.Getenv("WORKFLOW")}
	vars := map[string]any{"TMSYNC_SHA256SUMS_SHA256": ts.Getenv("CI_TEST_SHA256SUMS_SHA256")}
	for _, a := range args[2:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("gha: %q is not key=value", a)
		}
		if name, ok := strings.CutPrefix(k, "vars."); ok {
			vars[name] = v
			continue
		}
		opts[k] = v
	}
	b, err := os.ReadFile(ts.MkAbs(opts["workflow"]))
	ts.Check(err)
	var wf workflow
	ts.Check(yaml.Unmarshal(b, &wf))
	job, ok := wf.Jobs[jobName]
	if !ok {
		ts.Fatalf("gha: no job %q", jobName)
	}
	work := ts.Getenv("WORK")
	logPath := filepath.Join(work, "gha.log")
	var log bytes.Buffer
	defer func() { ts.Check(os.WriteFile(logPath, log.Bytes(), 0o644)) }()

	runID := strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	github := map[string]any{
		"event_name": event, "sha": opts["sha"], "repository": ciRepo, "token": "fake-github-token",
		"workflow_ref": ciRepo + "/.github/workflows/tmsync.yml@refs/heads/main", "run_id": runID,
		"event": map[string]any{"pull_request": map[string]any{"number": opts["pr"], "head": map[string]any{"sha": opts["sha"]}}},
	}
	ctx := map[string]any{
		"github": github,
		"vars":   vars,
		"secrets": map[string]any{
			"ALIBABA_CLOUD_ACCESS_KEY_ID":     ts.Getenv("CI_TEST_ALIBABA_CLOUD_ACCESS_KEY_ID"),
			"ALIBABA_CLOUD_ACCESS_KEY_SECRET": ts.Getenv("CI_TEST_ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
		},
	}
	if !truthy(evalExpr(job.If, ctx, true)) {
		fmt.Fprintf(&log, "job %s does not run on %s (if: %s)\n", jobName, event, job.If)
		if !neg {
			ts.Fatalf("gha: job %s does not run on %s", jobName, event)
		}
		return
	}
	stacks := job.Strategy.Matrix["stack"]
	if len(stacks) == 0 {
		stacks = []string{""}
	}
	failed := false
	for _, stack := range stacks {
		ctx["matrix"] = map[string]any{"stack": stack}
		if !runJob(ts, &log, wf, jobName, ctx) {
			failed = true
		}
	}
	if !failed && event == "pull_request" {
		recordRun(ts, runID, opts["sha"])
	}
	ts.Logf("gha %s %s:\n%s", event, jobName, log.String())
	switch {
	case failed && !neg:
		ts.Fatalf("gha: job %s failed (see gha.log)", jobName)
	case !failed && neg:
		ts.Fatalf("gha: job %s succeeded unexpectedly", jobName)
	}
}

// runJob runs the steps of one job (one matrix entry) and reports whether
// it succeeded.
func runJob(ts *testscript.TestScript, log *bytes.Buffer, wf workflow, jobName string, ctx map[string]any) bool {
	job := wf.Jobs[jobName]
	work := ts.Getenv("WORK")
	temp, err := os.MkdirTemp(work, ".runner-")
	ts.Check(err)
	// A fresh checkout per job, as on a runner.
	ws := filepath.Join(temp, "workspace")
	ts.Check(checkout(work, ws))
	// The copy of the install script the template runs.
	ts.Check(copyFile(ts.Getenv("CI_TEST_INSTALL_SCRIPT"), filepath.Join(ws, ".github", "tmsync-install.sh")))
	// GITHUB_PATH: directories steps add, first on PATH for the next steps.
	var addedPath []string
	env := map[string]string{}
	for k, v := range wf.Env {
		env[k] = interpolate(v, ctx, true)
	}
	ctx["env"] = anyMap(env)
	for k, v := range job.Env {
		env[k] = interpolate(v, ctx, true)
	}
	steps := map[string]any{}
	ctx["steps"] = steps
	gh := ctx["github"].(map[string]any)
	jobEnv := map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": gh["event_name"].(string),
		"GITHUB_SHA": gh["sha"].(string), "GITHUB_REPOSITORY": ciRepo, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_WORKFLOW_REF": gh["workflow_ref"].(string),
		"GITHUB_RUN_ID": gh["run_id"].(string), "GITHUB_WORKSPACE": ws, "RUNNER_TEMP": temp,
		"GITHUB_STEP_SUMMARY": filepath.Join(work, "step-summary.md"),
	}
	success := true
	for i, st := range job.Steps {
		name := st.Name
		if name == "" {
			name = st.Uses
		}
		cond := st.If
		if cond == "" {
			cond = "success()"
		}
		if !truthy(evalExpr(cond, ctx, success)) {
			fmt.Fprintf(log, "--- step %d %q skipped\n", i+1, name)
			continue
		}
		fmt.Fprintf(log, "--- step %d %q\n", i+1, name)
		with := map[string]string{}
		for k, v := range st.With {
			with[k] = interpolate(v, ctx, success)
		}
		if st.Uses != "" {
			if err := runAction(work, ws, st.Uses, with, log); err != nil {
				fmt.Fprintf(log, "error: %v\n", err)
				success = false
			}
			continue
		}
		stepEnv := map[string]string{}
		for _, k := range baseEnv {
			if v := ts.Getenv(k); v != "" {
				stepEnv[k] = v
			}
		}
		stepEnv["PATH"] = strings.Join(append(addedPath, ts.Getenv("CI_TEST_RUNNER_PATH")), string(os.PathListSeparator))
		for _, m := range []map[string]string{env, jobEnv} {
			for k, v := range m {
				stepEnv[k] = v
			}
		}
		for k, v := range st.Env {
			stepEnv[k] = interpolate(v, ctx, success)
		}
		outFile := filepath.Join(temp, fmt.Sprintf("output-%d", i))
		envFile := filepath.Join(temp, fmt.Sprintf("env-%d", i))
		pathFile := filepath.Join(temp, fmt.Sprintf("path-%d", i))
		for _, f := range []string{outFile, envFile, pathFile} {
			ts.Check(os.WriteFile(f, nil, 0o644))
		}
		stepEnv["GITHUB_OUTPUT"], stepEnv["GITHUB_ENV"], stepEnv["GITHUB_PATH"] = outFile, envFile, pathFile
		script := filepath.Join(temp, fmt.Sprintf("step-%d.sh", i))
		ts.Check(os.WriteFile(script, []byte(interpolate(st.Run, ctx, success)), 0o644))
		shell := st.Shell
		for _, d := range []wfDefaults{job.Defaults, wf.Defaults} {
			if shell == "" {
				shell = d.Run.Shell
			}
		}
		argv, err := stepCommand(shell, script)
		ts.Check(err)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = ws
		for k, v := range stepEnv {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(log, "step failed: %v\n", err)
			success = false
		}
		outputs := readKeyValues(ts, outFile)
		if st.ID != "" {
			steps[st.ID] = map[string]any{"outputs": anyMap(outputs)}
		}
		for k, v := range readKeyValues(ts, envFile) {
			jobEnv[k] = v
		}
		b, err := os.ReadFile(pathFile)
		ts.Check(err)
		for _, dir := range strings.Fields(string(b)) {
			addedPath = append([]string{dir}, addedPath...)
		}
	}
	return success
}

// checkout copies the repository, the script's files, to ws: everything in
// work but dot files and what the harness keeps there.
func checkout(work, ws string) error {
	return filepath.WalkDir(work, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(work, path)
		if err != nil || rel == "." {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") || rel == "artifacts" || rel == "gha.log" || rel == "step-summary.md" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		return copyFile(path, filepath.Join(ws, rel))
	})
}

// runAction emulates the uses: steps the template relies on: artifacts are
// kept in work/artifacts, paths are in the workspace ws.
func runAction(work, ws, uses string, with map[string]string, log *bytes.Buffer) error {
	action, _, _ := strings.Cut(uses, "@")
	switch action {
	case "actions/upload-artifact":
		src := filepath.Join(ws, with["path"])
		if _, err := os.Stat(src); err != nil {
			if with["if-no-files-found"] == "ignore" {
				fmt.Fprintf(log, "upload-artifact: no %s, nothing uploaded\n", with["path"])
				return nil
			}
			return err
		}
		return copyFile(src, filepath.Join(work, "artifacts", with["name"], filepath.Base(src)))
	case "actions/download-artifact":
		dir := filepath.Join(work, "artifacts", with["name"])
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("download-artifact: no artifact %q", with["name"])
		}
		for _, e := range entries {
			if err := copyFile(filepath.Join(dir, e.Name()), filepath.Join(ws, with["path"], e.Name())); err != nil {
				return err
			}
		}
		fmt.Fprintf(log, "download-artifact: %s from run %s\n", with["name"], with["run-id"])
		return nil
	}
	fmt.Fprintf(log, "%s: not emulated, skipped\n", uses)
	return nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// readKeyValues reads a GITHUB_OUTPUT or GITHUB_ENV file: key=value lines
// and key<<DELIMITER blocks.
func readKeyValues(ts *testscript.TestScript, path string) map[string]string {
	b, err := os.ReadFile(path)
	ts.Check(err)
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if k, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(k, "=") {
			var val []string
			for sc.Scan() && sc.Text() != delim {
				val = append(val, sc.Text())
			}
			out[k] = strings.Join(val, "\n")
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// recordRun adds a successful pull_request run to the fake gh's runs.
func recordRun(ts *testscript.TestScript, id, headSHA string) {
	path := filepath.Join(ts.Getenv("GH_FAKE_DIR"), "runs.txt")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	ts.Check(err)
	_, err = fmt.Fprintf(f, "%s %s pull_request success\n", id, headSHA)
	ts.Check(err)
	ts.Check(f.Close())
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// interpolate replaces each ${{ expression }} in s.
func interpolate(s string, ctx map[string]any, success bool) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "${{")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(str(evalExpr(s[i+3:i+j], ctx, success)))
		s = s[i+j+2:]
	}
}

// evalExpr evaluates the subset of the expression language the template
// uses: context paths, 'strings', ==, !=, &&, || and the status functions.
// An empty expression is true.
func evalExpr(e string, ctx map[string]any, success bool) any {
	e = strings.TrimSpace(e)
	e = strings.TrimSuffix(strings.TrimPrefix(e, "${{"), "}}")
	e = strings.TrimSpace(e)
	if e == "" {
		return true
	}
	if parts := splitTop(e, "||"); len(parts) > 1 {
		var v any
		for _, p := range parts {
			if v = evalExpr(p, ctx, success); truthy(v) {
				return v
			}
		}
		return v
	}
	if parts := splitTop(e, "&&"); len(parts) > 1 {
		var v any
		for _, p := range parts {
			if v = evalExpr(p, ctx, success); !truthy(v) {
				return v
			}
		}
		return v
	}
	for _, op := range []string{"==", "!="} {
		if parts := splitTop(e, op); len(parts) == 2 {
			eq := strings.EqualFold(str(evalExpr(parts[0], ctx, success)), str(evalExpr(parts[1], ctx, success)))
			return eq == (op == "==")
		}
	}
	switch e {
	case "success()":
		return success
	case "failure()":
		return !success
	case "always()":
		return true
	case "cancelled()":
		return false
	case "true":
		return true
	case "false":
		return false
	}
	if strings.HasPrefix(e, "'") && strings.HasSuffix(e, "'") && len(e) >= 2 {
		return strings.ReplaceAll(e[1:len(e)-1], "''", "'")
	}
	if _, err := strconv.Atoi(e); err == nil {
		return e
	}
	var v any = ctx
	for _, part := range strings.Split(e, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[part]
	}
	if v == nil {
		return ""
	}
	return v
}

// splitTop splits e at op outside quotes.
func splitTop(e, op string) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(e); i++ {
		switch {
		case e[i] == '\'':
			quoted = !quoted
		case !quoted && strings.HasPrefix(e[i:], op):
			parts = append(parts, e[start:i])
			start = i + len(op)
			i += len(op) - 1
		}
	}
	return append(parts, e[start:])
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x != ""
	case nil:
		return false
	}
	return true
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// cmdConsole changes live state through the SDK, as a console user would.
func cmdConsole(ts *testscript.TestScript, neg bool, args []string) {
	usage := "usage: console rename-filter NAME NEW | console create-filter NAME"
	if neg || len(args) < 2 {
		ts.Fatalf("%s", usage)
	}
	cred, err := aliyun.StaticCredential(ciKeyID, ciKeySecret)
	ts.Check(err)
	ctx := context.Background()
	c, err := aliyun.New(ctx, aliyun.Config{Region: "cn-hangzhou", Endpoint: ts.Getenv("TMSYNC_ENDPOINT"), Credential: cred})
	ts.Check(err)
	defer c.Close()
	switch {
	case args[0] == "create-filter" && len(args) == 2:
		_, err := c.CreateFilter(ctx, cloud.CreateFilterInput{Name: args[1]})
		ts.Check(err)
		return
	case args[0] != "rename-filter" || len(args) != 3:
		ts.Fatalf("%s", usage)
	}
	fs, err := c.ListFilters(ctx, cloud.ListFiltersInput{Name: args[1]})
	ts.Check(err)
	if len(fs) != 1 {
		ts.Fatalf("console: %d filters named %q", len(fs), args[1])
	}
	ts.Check(c.UpdateFilter(ctx, cloud.UpdateFilterInput{ID: fs[0].ID, Name: &args[2]}))
	// Wait for the rename to settle, as the console would show it.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		fs, err := c.ListFilters(ctx, cloud.ListFiltersInput{IDs: []string{fs[0].ID}})
		ts.Check(err)
		if len(fs) == 1 && fs[0].Status == cloud.StatusCreated {
			return
		}
	}
	ts.Fatalf("console: the rename did not settle")
}

// TestWorkflowSerialisesStacks: every job that writes or reads a stack's
// live state on main (apply, drift) runs in the stack's concurrency group
// and is never cancelled half-way, so that two runs of one stack never
// race (C13); plans of a pull request may cancel each other.
func TestWorkflowSerialisesStacks(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("github", "tmsync.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Concurrency struct {
				Group  string `yaml:"group"`
				Cancel bool   `yaml:"cancel-in-progress"`
			} `yaml:"concurrency"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"apply", "drift"} {
		job, ok := wf.Jobs[name]
		if !ok {
			t.Fatalf("no job %s", name)
		}
		if job.Concurrency.Group != "tmsync-${{ matrix.stack }}" || job.Concurrency.Cancel {
			t.Errorf("job %s: concurrency %+v; want group tmsync-${{ matrix.stack }}, not cancelled in progress", name, job.Concurrency)
		}
	}
}

// TestWorkflowStepsUseBash: every run: step of the template sets shell: bash,
// which GitHub runs with -o pipefail; without it a step runs as `bash -e`,
// and a failure before a pipe (tmsync validate ... | tee) passes the step.
func TestWorkflowStepsUseBash(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("github", "tmsync.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	for name, job := range wf.Jobs {
		for i, st := range job.Steps {
			if st.Run != "" && st.Shell != "bash" {
				t.Errorf("job %s, step %d (%q): shell %q, want bash", name, i+1, st.Name, st.Shell)
			}
		}
	}
}
