package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// serveAdmin serves the test controls under /_emulator/. They take no
// signature: they are for the test harness on loopback, not for clients.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if err := s.adminRefusal(r); err != nil {
		adminError(w, http.StatusForbidden, err)
		return
	}
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_emulator/"), "/")
	body, err := s.readBody(w, r)
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return
	}
	switch r.Method + " " + path {
	case "GET stats":
		adminJSON(w, s.Stats())
	case "POST stats/reset":
		s.ResetStats()
		adminJSON(w, map[string]bool{"ok": true})
	case "POST reset":
		s.Reset()
		adminJSON(w, map[string]bool{"ok": true})
	case "GET faults":
		adminJSON(w, s.Faults())
	case "POST faults":
		faults, err := decodeFaults(body)
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		s.SetFaults(faults)
		adminJSON(w, s.Faults())
	case "GET inventory":
		adminJSON(w, s.inventory().inv)
	case "POST inventory":
		inv, patch, err := decodeInventoryBody(body)
		if err == nil {
			if patch != nil {
				err = s.PatchInventory(*patch)
			} else {
				err = s.SetInventory(inv)
			}
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		adminJSON(w, s.inventory().inv)
	case "POST hold":
		var req struct {
			Actions []string `json:"actions"`
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &req); err != nil {
				adminError(w, http.StatusBadRequest, err)
				return
			}
		}
		adminJSON(w, map[string]string{"id": strconv.Itoa(s.hold(req.Actions))})
	case "POST release":
		var req struct {
			ID string `json:"id"`
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &req); err != nil {
				adminError(w, http.StatusBadRequest, err)
				return
			}
		}
		if req.ID == "" {
			s.releaseAll()
			adminJSON(w, map[string]bool{"ok": true})
			return
		}
		id, _ := strconv.Atoi(req.ID)
		if !s.release(id) {
			adminError(w, http.StatusNotFound, fmt.Errorf("no hold %q", req.ID))
			return
		}
		adminJSON(w, map[string]bool{"ok": true})
	case "POST service":
		var req struct {
			Region string `json:"region"`
			Open   bool   `json:"open"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.Region == "" {
			adminError(w, http.StatusBadRequest, fmt.Errorf("want {\"region\": \"…\", \"open\": true|false}"))
			return
		}
		s.SetServiceOpen(req.Region, req.Open)
		adminJSON(w, map[string]bool{"ok": true})
	case "GET state":
		var b []byte
		_ = s.store.do(func(st *state) (bool, error) {
			dump := *st
			dump.Secret = "" // signs page tokens; not for the harness
			b = mustJSON(&dump)
			return false, nil
		})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	default:
		adminError(w, http.StatusNotFound, fmt.Errorf("unknown admin endpoint %s /_emulator/%s", r.Method, path))
	}
}

// adminRefusal says why an admin request is refused, if it is. Any web
// page the user opens can send requests to a loopback port; answering only
// the emulator's own Host defeats a rebinding DNS name, and refusing a
// foreign Origin (or a browser's cross-site mark) defeats a cross-origin
// POST, which the browser sends even though it hides the answer.
func (s *Server) adminRefusal(r *http.Request) error {
	if !s.adminHosts[strings.ToLower(r.Host)] {
		return fmt.Errorf("admin endpoints answer only requests to %s or localhost on its port, not Host %q", s.Endpoint(), r.Host)
	}
	for _, o := range r.Header.Values("Origin") {
		if !strings.EqualFold(o, "http://"+r.Host) {
			return fmt.Errorf("admin endpoints refuse cross-origin requests (Origin %q)", o)
		}
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return fmt.Errorf("admin endpoints refuse cross-origin requests (Sec-Fetch-Site %q)", site)
	}
	return nil
}

// adminHosts returns the Host values (lower case) of requests to the
// admin endpoints: the address listened on, as given and as bound, and
// the loopback names with the bound port.
func adminHosts(listen, bound string) map[string]bool {
	hosts := map[string]bool{}
	boundHost, port, err := net.SplitHostPort(bound)
	if err != nil {
		return hosts
	}
	add := func(host string) {
		hosts[strings.ToLower(net.JoinHostPort(host, port))] = true
		if port == "80" {
			hosts[strings.ToLower(host)] = true
		}
	}
	add(boundHost)
	if h, p, err := net.SplitHostPort(listen); err == nil && h != "" && p == port {
		add(h)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		add(h)
	}
	return hosts
}

// decodeFaults takes a JSON array of faults or a fault spec string.
func decodeFaults(body []byte) ([]Fault, error) {
	t := bytes.TrimSpace(body)
	if len(t) > 0 && t[0] == '[' {
		var fs []Fault
		if err := json.Unmarshal(t, &fs); err != nil {
			return nil, err
		}
		return fs, nil
	}
	if len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, err
		}
		t = []byte(s)
	}
	return ParseFaults(string(t))
}

func adminJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func adminError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
