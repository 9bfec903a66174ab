package soak

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"

	"github.com/tmsync/tmsync/internal/plan"
	"github.com/tmsync/tmsync/internal/workload"
)

// The stack under soak. Its anchor filter carries a session tmsync does
// not own, so the anchor is never deleted, re-keyed or left without a free
// rule priority (a plan doing so rightly errors, C6 and C8).
const (
	stackName  = "soak"
	otherStack = "soak-other"
	region     = "cn-hangzhou"
	anchor     = "web"

	maxFilters  = 6
	maxSessions = 7
	maxSources  = 5
	// prioPool is the range of session priorities the spec draws from;
	// the foreign sessions hold some of them.
	prioPool = 40
)

// foreignPriorities are the session priorities the foreign sessions hold,
// within the pool the spec draws from: the spec must avoid them or the plan
// rightly errors (C7).
var foreignPriorities = []int{4, 9, 17, 25, 33, 38}

// initialStack is the spec of round 0.
func initialStack() *workload.Stack {
	st := &workload.Stack{Name: stackName, Region: region, Filters: map[string]*workload.Filter{}, Sessions: map[string]*workload.Session{}}
	rng := rand.New(rand.NewSource(0))
	for _, k := range []string{anchor, "dns", "db"} {
		st.Filters[k] = &workload.Filter{Ingress: workload.RandomRules(rng, 3), Egress: workload.RandomRules(rng, 2)}
	}
	st.Sessions["web-ids"] = &workload.Session{Filter: anchor, TargetType: "NetworkInterface", TargetID: "eni-tgt1",
		Sources: []string{"eni-src01", "eni-src02"}, Priority: 1, Enabled: true}
	st.Sessions["dns-log"] = &workload.Session{Filter: "dns", TargetType: "SLB", TargetID: "lb-soaktarget",
		Sources: []string{"eni-src03"}, Priority: 2, Enabled: true}
	st.Sessions["db-audit"] = &workload.Session{Filter: "db", TargetType: "NetworkInterface", TargetID: "eni-tgt2",
		Sources: []string{"eni-src01", "eni-src04", "eni-src05"}, Priority: 3, Enabled: true}
	return st
}

// A mutator changes a spec at random, keeping it valid.
type mutator struct {
	rng *rand.Rand
	seq int // for fresh keys
}

type mutation func(m *mutator, st *workload.Stack) string

var mutations = []struct {
	weight int
	fn     mutation
}{
	{3, (*mutator).addFilter}, {2, (*mutator).removeFilter}, {2, (*mutator).rekeyFilter},
	{2, (*mutator).renameFilter}, {2, (*mutator).tagFilter},
	{4, (*mutator).addRule}, {3, (*mutator).removeRule}, {4, (*mutator).editRule}, {4, (*mutator).reorderRules},
	{3, (*mutator).addSession}, {2, (*mutator).removeSession}, {2, (*mutator).rekeySession},
	{3, (*mutator).moveSession}, {4, (*mutator).changeSources}, {4, (*mutator).changePriority},
	{3, (*mutator).swapPriorities}, {3, (*mutator).sessionAttrs}, {2, (*mutator).tagSession},
}

// mutate applies one to four random mutations to st and says what they
// were. Moves of the last round are forgotten: they have been applied.
func (m *mutator) mutate(st *workload.Stack) []string {
	st.Moved = nil
	total := 0
	for _, x := range mutations {
		total += x.weight
	}
	var did []string
	for n := 1 + m.rng.Intn(4); n > 0; n-- {
		pick := m.rng.Intn(total)
		for _, x := range mutations {
			if pick < x.weight {
				if d := x.fn(m, st); d != "" {
					did = append(did, d)
				}
				break
			}
			pick -= x.weight
		}
	}
	return did
}

func (m *mutator) key(prefix string) string {
	m.seq++
	return fmt.Sprintf("%s-%d", prefix, m.seq)
}

func (m *mutator) pick(keys []string) string { return keys[m.rng.Intn(len(keys))] }

// nonAnchor returns the filter keys other than the anchor.
func nonAnchor(st *workload.Stack) []string {
	var out []string
	for _, k := range st.FilterKeys() {
		if k != anchor {
			out = append(out, k)
		}
	}
	return out
}

// moved reports whether key was moved this round: a key is moved at most
// once, and a moved object must not be re-keyed again before it applied.
func moved(st *workload.Stack, addr string) bool {
	for _, mv := range st.Moved {
		if mv.From == addr || mv.To == addr {
			return true
		}
	}
	return false
}

func (m *mutator) addFilter(st *workload.Stack) string {
	if len(st.Filters) >= maxFilters {
		return ""
	}
	k := m.key("f")
	st.Filters[k] = &workload.Filter{Ingress: workload.RandomRules(m.rng, m.rng.Intn(5)), Egress: workload.RandomRules(m.rng, m.rng.Intn(4))}
	return "add filter." + k
}

func (m *mutator) removeFilter(st *workload.Stack) string {
	keys := nonAnchor(st)
	if len(keys) == 0 {
		return ""
	}
	k := m.pick(keys)
	if moved(st, plan.FilterAddr(k).String()) {
		return ""
	}
	// Its sessions move to the anchor first, in the same apply.
	for _, s := range st.Sessions {
		if s.Filter == k {
			s.Filter = anchor
		}
	}
	delete(st.Filters, k)
	return "remove filter." + k
}

func (m *mutator) rekeyFilter(st *workload.Stack) string {
	keys := nonAnchor(st)
	if len(keys) == 0 {
		return ""
	}
	old := m.pick(keys)
	if moved(st, plan.FilterAddr(old).String()) {
		return ""
	}
	k := m.key("f")
	st.Filters[k] = st.Filters[old]
	delete(st.Filters, old)
	for _, s := range st.Sessions {
		if s.Filter == old {
			s.Filter = k
		}
	}
	if m.rng.Intn(2) == 0 {
		st.Moved = append(st.Moved, workload.Move{From: plan.FilterAddr(old).String(), To: plan.FilterAddr(k).String()})
		return fmt.Sprintf("re-key filter.%s to %s with moved", old, k)
	}
	return fmt.Sprintf("re-key filter.%s to %s (delete and create)", old, k)
}

func (m *mutator) renameFilter(st *workload.Stack) string {
	k := m.pick(st.FilterKeys())
	f := st.Filters[k]
	switch m.rng.Intn(3) {
	case 0:
		f.Name = fmt.Sprintf("name-%d", m.rng.Intn(1000))
	case 1:
		f.Name = ""
	default:
		f.Description = fmt.Sprintf("description %d", m.rng.Intn(1000))
	}
	return "rename filter." + k
}

func randomTags(rng *rand.Rand) map[string]string {
	if rng.Intn(3) == 0 {
		return nil
	}
	t := map[string]string{}
	for _, k := range []string{"team", "env", "cost-center"} {
		if rng.Intn(2) == 0 {
			t[k] = fmt.Sprintf("v%d", rng.Intn(3))
		}
	}
	return t
}

func (m *mutator) tagFilter(st *workload.Stack) string {
	k := m.pick(st.FilterKeys())
	st.Filters[k].Tags = randomTags(m.rng)
	return "tags of filter." + k
}

// maxRules is how many rules a direction of filter k may hold: the anchor
// keeps a free priority, since it cannot be swapped for a new filter.
func maxRules(k string) int {
	if k == anchor {
		return 9
	}
	return 10
}

func freePriority(rng *rand.Rand, rs []workload.Rule) int {
	var free []int
	for p := 1; p <= 10; p++ {
		if !slices.ContainsFunc(rs, func(r workload.Rule) bool { return r.Priority == p }) {
			free = append(free, p)
		}
	}
	return free[rng.Intn(len(free))]
}

func (m *mutator) addRule(st *workload.Stack) string {
	k := m.pick(st.FilterKeys())
	f := st.Filters[k]
	dir := []string{"ingress", "egress"}[m.rng.Intn(2)]
	rs := f.Rules(dir)
	if len(rs) >= maxRules(k) {
		return ""
	}
	r := workload.RandomRule(m.rng, freePriority(m.rng, rs))
	f.SetRules(dir, append(rs, r))
	return fmt.Sprintf("add rule filter.%s.%s[%d]", k, dir, r.Priority)
}

func (m *mutator) removeRule(st *workload.Stack) string {
	k := m.pick(st.FilterKeys())
	f := st.Filters[k]
	dir := []string{"ingress", "egress"}[m.rng.Intn(2)]
	rs := f.Rules(dir)
	if len(rs) == 0 {
		return ""
	}
	i := m.rng.Intn(len(rs))
	p := rs[i].Priority
	f.SetRules(dir, slices.Delete(slices.Clone(rs), i, i+1))
	return fmt.Sprintf("remove rule filter.%s.%s[%d]", k, dir, p)
}

func (m *mutator) editRule(st *workload.Stack) string {
	k := m.pick(st.FilterKeys())
	f := st.Filters[k]
	dir := []string{"ingress", "egress"}[m.rng.Intn(2)]
	rs := slices.Clone(f.Rules(dir))
	if len(rs) == 0 {
		return ""
	}
	i := m.rng.Intn(len(rs))
	// A new rule at the same priority: an in-place update, or a replace
	// when the IP version or ICMP-ness changes.
	rs[i] = workload.RandomRule(m.rng, rs[i].Priority)
	f.SetRules(dir, rs)
	return fmt.Sprintf("edit rule filter.%s.%s[%d]", k, dir, rs[i].Priority)
}

func (m *mutator) reorderRules(st *workload.Stack) string {
	k := m.pick(st.FilterKeys())
	f := st.Filters[k]
	dir := []string{"ingress", "egress"}[m.rng.Intn(2)]
	rs := slices.Clone(f.Rules(dir))
	if len(rs) < 2 {
		return ""
	}
	// Permute the priorities the rules hold (cycles included); sometimes
	// also shift one to a free priority.
	prios := make([]int, len(rs))
	for i, r := range rs {
		prios[i] = r.Priority
	}
	perm := m.rng.Perm(len(rs))
	for i := range rs {
		rs[i].Priority = prios[perm[i]]
	}
	if len(rs) < maxRules(k) && m.rng.Intn(3) == 0 {
		rs[0].Priority = freePriority(m.rng, rs)
	}
	f.SetRules(dir, rs)
	return fmt.Sprintf("reorder rules of filter.%s.%s", k, dir)
}

// freeSessionPriorities returns the pool's priorities neither the spec nor
// a foreign session holds.
func freeSessionPriorities(st *workload.Stack) []int {
	used := map[int]bool{}
	for _, p := range foreignPriorities {
		used[p] = true
	}
	for _, s := range st.Sessions {
		used[s.Priority] = true
	}
	var out []int
	for p := 1; p <= prioPool; p++ {
		if !used[p] {
			out = append(out, p)
		}
	}
	return out
}

func (m *mutator) sources() []string {
	n := 1 + m.rng.Intn(maxSources)
	var out []string
	for _, i := range m.rng.Perm(12)[:n] {
		out = append(out, fmt.Sprintf("eni-src%02d", i+1))
	}
	sort.Strings(out)
	return out
}

func (m *mutator) addSession(st *workload.Stack) string {
	free := freeSessionPriorities(st)
	if len(st.Sessions) >= maxSessions || len(free) == 0 {
		return ""
	}
	k := m.key("s")
	st.Sessions[k] = &workload.Session{Filter: m.pick(st.FilterKeys()), TargetType: "NetworkInterface",
		TargetID: fmt.Sprintf("eni-tgt%d", 1+m.rng.Intn(3)), Sources: m.sources(), Priority: free[m.rng.Intn(len(free))], Enabled: true}
	return "add session." + k
}

func (m *mutator) removeSession(st *workload.Stack) string {
	if len(st.Sessions) == 0 {
		return ""
	}
	k := m.pick(st.SessionKeys())
	if moved(st, plan.SessionAddr(k).String()) {
		return ""
	}
	delete(st.Sessions, k)
	return "remove session." + k
}

func (m *mutator) rekeySession(st *workload.Stack) string {
	if len(st.Sessions) == 0 {
		return ""
	}
	old := m.pick(st.SessionKeys())
	if moved(st, plan.SessionAddr(old).String()) {
		return ""
	}
	k := m.key("s")
	st.Sessions[k] = st.Sessions[old]
	delete(st.Sessions, old)
	if m.rng.Intn(2) == 0 {
		st.Moved = append(st.Moved, workload.Move{From: plan.SessionAddr(old).String(), To: plan.SessionAddr(k).String()})
		return fmt.Sprintf("re-key session.%s to %s with moved", old, k)
	}
	return fmt.Sprintf("re-key session.%s to %s (delete and create)", old, k)
}

func (m *mutator) moveSession(st *workload.Stack) string {
	if len(st.Sessions) == 0 {
		return ""
	}
	k := m.pick(st.SessionKeys())
	st.Sessions[k].Filter = m.pick(st.FilterKeys())
	return fmt.Sprintf("session.%s to filter.%s", k, st.Sessions[k].Filter)
}

func (m *mutator) changeSources(st *workload.Stack) string {
	if len(st.Sessions) == 0 {
		return ""
	}
	k := m.pick(st.SessionKeys())
	s := st.Sessions[k]
	switch m.rng.Intn(3) {
	case 0: // add one
		if len(s.Sources) < maxSources {
			s.Sources = uniqueSorted(append(slices.Clone(s.Sources), fmt.Sprintf("eni-src%02d", 1+m.rng.Intn(12))))
		}
	case 1: // drop one
		if len(s.Sources) > 1 {
			i := m.rng.Intn(len(s.Sources))
			s.Sources = slices.Delete(slices.Clone(s.Sources), i, i+1)
		}
	default:
		s.Sources = m.sources()
	}
	return "sources of session." + k
}

func uniqueSorted(xs []string) []string {
	sort.Strings(xs)
	return slices.Compact(xs)
}

func (m *mutator) changePriority(st *workload.Stack) string {
	free := freeSessionPriorities(st)
	if len(st.Sessions) == 0 || len(free) == 0 {
		return ""
	}
	k := m.pick(st.SessionKeys())
	st.Sessions[k].Priority = free[m.rng.Intn(len(free))]
	return fmt.Sprintf("session.%s to priority %d", k, st.Sessions[k].Priority)
}

// swapPriorities rotates the priorities of two or three sessions: a cycle
// that must go through a temporary priority.
func (m *mutator) swapPriorities(st *workload.Stack) string {
	keys := st.SessionKeys()
	if len(keys) < 2 {
		return ""
	}
	n := min(len(keys), 2+m.rng.Intn(2))
	var pick []string
	for _, i := range m.rng.Perm(len(keys))[:n] {
		pick = append(pick, keys[i])
	}
	first := st.Sessions[pick[0]].Priority
	for i := 0; i < n-1; i++ {
		st.Sessions[pick[i]].Priority = st.Sessions[pick[i+1]].Priority
	}
	st.Sessions[pick[n-1]].Priority = first
	return fmt.Sprintf("rotate priorities of %v", pick)
}

func (m *mutator) sessionAttrs(st *workload.Stack) string {
	if len(st.Sessions) == 0 {
		return ""
	}
	k := m.pick(st.SessionKeys())
	s := st.Sessions[k]
	switch m.rng.Intn(5) {
	case 0:
		s.PacketLength = []int{0, 1500, 9000, 128}[m.rng.Intn(4)]
	case 1:
		s.Enabled = !s.Enabled
	case 2:
		s.Name = fmt.Sprintf("session-name-%d", m.rng.Intn(100))
	case 3:
		s.Description = fmt.Sprintf("description %d", m.rng.Intn(100))
	default:
		if m.rng.Intn(2) == 0 {
			s.TargetType, s.TargetID = "SLB", "lb-soaktarget"
		} else {
			s.TargetType, s.TargetID = "NetworkInterface", fmt.Sprintf("eni-tgt%d", 1+m.rng.Intn(3))
		}
	}
	return "attributes of session." + k
}

func (m *mutator) tagSession(st *workload.Stack) string {
	if len(st.Sessions) == 0 {
		return ""
	}
	k := m.pick(st.SessionKeys())
	st.Sessions[k].Tags = randomTags(m.rng)
	return "tags of session." + k
}
