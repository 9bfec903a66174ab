package ci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
)

// fakeGH is the gh the workflow scripts call: `gh api` with --method,
// --jq (evaluated by gojq, as gh does), -f and -F (with @file), over a
// repository kept as files in $GH_FAKE_DIR:
//
//	comments/ID.md, comments/ID.issue   comment bodies and their issue
//	issues/N.md, issues/N.json          issue bodies and title/labels/state
//	pulls-of-SHA.json                   GET commits/SHA/pulls (written by scripts)
//	runs.txt                            "id head_sha event status" per run
//	log                                 "METHOD PATH" per call
func fakeGH(args []string, stdout, stderr io.Writer) int {
	if err := ghMain(args, stdout); err != nil {
		fmt.Fprintf(stderr, "gh (fake): %v\n", err)
		return 1
	}
	return 0
}

type ghCall struct {
	method string
	path   string
	query  url.Values
	jq     string
	fields map[string]any
}

func ghMain(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "api" {
		return fmt.Errorf("only gh api is faked, not %q", args)
	}
	c := ghCall{method: "", fields: map[string]any{}}
	for i := 1; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch a {
		case "--method", "-X":
			v, err := next()
			if err != nil {
				return err
			}
			c.method = strings.ToUpper(v)
		case "--jq", "-q":
			v, err := next()
			if err != nil {
				return err
			}
			c.jq = v
		case "-f", "--raw-field", "-F", "--field":
			v, err := next()
			if err != nil {
				return err
			}
			k, val, ok := strings.Cut(v, "=")
			if !ok {
				return fmt.Errorf("field %q is not key=value", v)
			}
			if (a == "-F" || a == "--field") && strings.HasPrefix(val, "@") {
				b, err := os.ReadFile(val[1:])
				if err != nil {
					return err
				}
				val = string(b)
			}
			if name, ok := strings.CutSuffix(k, "[]"); ok {
				list, _ := c.fields[name].([]any)
				c.fields[name] = append(list, val)
			} else {
				c.fields[k] = val
			}
		case "--paginate", "--silent":
		case "-H", "--header":
			if _, err := next(); err != nil {
				return err
			}
		default:
			if strings.HasPrefix(a, "-") {
				return fmt.Errorf("flag %s is not faked", a)
			}
			u, err := url.Parse(a)
			if err != nil {
				return err
			}
			c.path, c.query = strings.TrimPrefix(u.Path, "/"), u.Query()
		}
	}
	if c.method == "" {
		c.method = "GET"
		if len(c.fields) > 0 {
			c.method = "POST"
		}
	}
	dir := os.Getenv("GH_FAKE_DIR")
	if dir == "" {
		return errors.New("GH_FAKE_DIR is not set")
	}
	if err := appendLine(filepath.Join(dir, "log"), c.method+" "+c.path); err != nil {
		return err
	}
	out, err := ghRoute(dir, c)
	if err != nil {
		return err
	}
	return ghWrite(stdout, out, c.jq)
}

// ghRoute answers one call.
func ghRoute(dir string, c ghCall) (any, error) {
	rest, ok := strings.CutPrefix(c.path, "repos/"+ciRepo+"/")
	if !ok {
		return nil, fmt.Errorf("%s %s: not a path of %s", c.method, c.path, ciRepo)
	}
	p := strings.Split(rest, "/")
	body, _ := c.fields["body"].(string)
	switch {
	case c.method == "GET" && len(p) == 3 && p[0] == "issues" && p[2] == "comments":
		return listComments(dir, p[1])
	case c.method == "POST" && len(p) == 3 && p[0] == "issues" && p[2] == "comments":
		id, err := nextNumber(dir, "comment", 1)
		if err != nil {
			return nil, err
		}
		return map[string]any{"id": id}, writeComment(dir, strconv.Itoa(id), p[1], body)
	case c.method == "PATCH" && len(p) == 3 && p[0] == "issues" && p[1] == "comments":
		issue, err := os.ReadFile(filepath.Join(dir, "comments", p[2]+".issue"))
		if err != nil {
			return nil, fmt.Errorf("no comment %s", p[2])
		}
		return map[string]any{"id": p[2]}, writeComment(dir, p[2], string(issue), body)
	case c.method == "GET" && len(p) == 1 && p[0] == "issues":
		return listIssues(dir, c.query)
	case c.method == "POST" && len(p) == 1 && p[0] == "issues":
		n, err := nextNumber(dir, "issue", 100)
		if err != nil {
			return nil, err
		}
		meta := map[string]any{"number": n, "title": c.fields["title"], "labels": c.fields["labels"], "state": "open"}
		return meta, writeIssue(dir, strconv.Itoa(n), meta, body)
	case c.method == "PATCH" && len(p) == 2 && p[0] == "issues":
		meta, err := readIssue(dir, p[1])
		if err != nil {
			return nil, err
		}
		if body == "" {
			body = meta["body"].(string)
		}
		delete(meta, "body")
		for k, v := range c.fields {
			if k != "body" {
				meta[k] = v
			}
		}
		return meta, writeIssue(dir, p[1], meta, body)
	case c.method == "GET" && len(p) == 3 && p[0] == "commits" && p[2] == "pulls":
		b, err := os.ReadFile(filepath.Join(dir, "pulls-of-"+p[1]+".json"))
		if errors.Is(err, os.ErrNotExist) {
			return []any{}, nil
		}
		var v any
		if err == nil {
			err = json.Unmarshal(b, &v)
		}
		return v, err
	case c.method == "GET" && len(p) == 4 && p[0] == "actions" && p[1] == "workflows" && p[3] == "runs":
		return listRuns(dir, c.query)
	}
	return nil, fmt.Errorf("%s %s is not faked", c.method, c.path)
}

func ghWrite(w io.Writer, v any, jq string) error {
	// Round-trip through JSON so that gojq sees only JSON values.
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	if jq == "" {
		_, err := fmt.Fprintf(w, "%s\n", b)
		return err
	}
	q, err := gojq.Parse(jq)
	if err != nil {
		return fmt.Errorf("--jq: %w", err)
	}
	iter := q.Run(doc)
	for {
		v, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := v.(error); ok {
			return fmt.Errorf("--jq: %w", err)
		}
		// gh prints strings raw and everything else as JSON.
		if s, ok := v.(string); ok {
			fmt.Fprintln(w, s)
			continue
		}
		b, err := gojq.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", b)
	}
}

func listComments(dir, issue string) ([]any, error) {
	out := []any{}
	entries, err := os.ReadDir(filepath.Join(dir, "comments"))
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	ids := map[int]bool{}
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".issue"); ok {
			n, _ := strconv.Atoi(id)
			ids[n] = true
		}
	}
	for n := 1; len(ids) > 0; n++ {
		if !ids[n] {
			continue
		}
		delete(ids, n)
		id := strconv.Itoa(n)
		iss, err := os.ReadFile(filepath.Join(dir, "comments", id+".issue"))
		if err != nil {
			return nil, err
		}
		if string(iss) != issue {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, "comments", id+".md"))
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]any{"id": n, "body": string(body), "user": map[string]any{"login": "github-actions[bot]"}})
	}
	return out, nil
}

func writeComment(dir, id, issue, body string) error {
	if err := os.MkdirAll(filepath.Join(dir, "comments"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "comments", id+".issue"), []byte(issue), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "comments", id+".md"), []byte(body), 0o644)
}

func readIssue(dir, n string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(dir, "issues", n+".json"))
	if err != nil {
		return nil, fmt.Errorf("no issue %s", n)
	}
	var meta map[string]any
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, err
	}
	body, err := os.ReadFile(filepath.Join(dir, "issues", n+".md"))
	if err != nil {
		return nil, err
	}
	meta["body"] = string(body)
	return meta, nil
}

func writeIssue(dir, n string, meta map[string]any, body string) error {
	if err := os.MkdirAll(filepath.Join(dir, "issues"), 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "issues", n+".json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "issues", n+".md"), []byte(body), 0o644)
}

func listIssues(dir string, q url.Values) ([]any, error) {
	out := []any{}
	entries, err := os.ReadDir(filepath.Join(dir, "issues"))
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	var numbers []int
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			i, _ := strconv.Atoi(n)
			numbers = append(numbers, i)
		}
	}
	for _, n := range sortedInts(numbers) {
		meta, err := readIssue(dir, strconv.Itoa(n))
		if err != nil {
			return nil, err
		}
		if s := q.Get("state"); s != "" && s != "all" && meta["state"] != s {
			continue
		}
		if l := q.Get("labels"); l != "" && !hasLabel(meta["labels"], l) {
			continue
		}
		out = append(out, meta)
	}
	return out, nil
}

func hasLabel(labels any, want string) bool {
	list, _ := labels.([]any)
	for _, l := range list {
		if l == want {
			return true
		}
	}
	return false
}

func listRuns(dir string, q url.Values) (any, error) {
	runs := []any{}
	b, err := os.ReadFile(filepath.Join(dir, "runs.txt"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	// Newest first, as the API lists them.
	for i := len(lines) - 1; i >= 0; i-- {
		f := strings.Fields(lines[i])
		if len(f) != 4 {
			continue
		}
		id, _ := strconv.Atoi(f[0])
		run := map[string]string{"head_sha": f[1], "event": f[2], "status": f[3]}
		match := true
		for _, k := range []string{"head_sha", "event", "status"} {
			if v := q.Get(k); v != "" && v != run[k] {
				match = false
			}
		}
		if match {
			runs = append(runs, map[string]any{"id": id, "head_sha": f[1], "event": f[2], "conclusion": f[3]})
		}
	}
	return map[string]any{"total_count": len(runs), "workflow_runs": runs}, nil
}

// nextNumber hands out comment IDs and issue numbers, from first on.
func nextNumber(dir, kind string, first int) (int, error) {
	path := filepath.Join(dir, "next-"+kind)
	n := first
	if b, err := os.ReadFile(path); err == nil {
		n, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	return n, os.WriteFile(path, []byte(strconv.Itoa(n+1)), 0o644)
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func sortedInts(in []int) []int {
	out := append([]int(nil), in...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
