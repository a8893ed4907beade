package sandbox

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// install is the stored state of one installed integration.
type install struct {
	entry       *registryEntry
	version     string
	status      string
	config      map[string]any
	installedAt time.Time
	updatedAt   time.Time
}

// installRecord is the install record as served to clients (secrets masked).
type installRecord struct {
	IntegrationID string         `json:"integrationId"`
	Name          string         `json:"name"`
	Status        string         `json:"status"`
	Version       string         `json:"version"`
	Config        map[string]any `json:"config"`
	InstalledAt   string         `json:"installedAt"`
	UpdatedAt     string         `json:"updatedAt"`
}

// configRecord is the response to GET /agent/integrations/{id}/config.
type configRecord struct {
	IntegrationID string         `json:"integrationId"`
	Config        map[string]any `json:"config"`
}

// record returns the client view of an install. The caller holds h.mu.
func (in *install) record() installRecord {
	return installRecord{
		IntegrationID: in.entry.ID,
		Name:          in.entry.Name,
		Status:        in.status,
		Version:       in.version,
		Config:        in.maskedConfig(),
		InstalledAt:   in.installedAt.Format(time.RFC3339),
		UpdatedAt:     in.updatedAt.Format(time.RFC3339),
	}
}

// maskedConfig returns a shallow copy of the config with secret fields masked. Nested values are
// shared but never mutated: updates replace top-level keys only.
func (in *install) maskedConfig() map[string]any {
	out := make(map[string]any, len(in.config))
	for k, v := range in.config {
		out[k] = v
	}
	for _, name := range in.entry.secretFields() {
		if v, ok := out[name]; ok {
			out[name] = maskSecret(v)
		}
	}
	return out
}

// maskSecret shows a secret as "****" plus its last 4 characters. Secrets of 4 characters or fewer
// and non-string values are shown as "****" alone; an empty string stays empty.
func maskSecret(v any) any {
	s, ok := v.(string)
	if !ok {
		return "****"
	}
	if s == "" {
		return ""
	}
	r := []rune(s)
	if len(r) <= 4 {
		return "****"
	}
	return "****" + string(r[len(r)-4:])
}

// evaluateStatus returns the status an install should have after being created or reconfigured.
// The caller holds h.mu.
func (h *Handler) evaluateStatus(e *registryEntry, config map[string]any, current string) string {
	switch e.Auth {
	case authNone:
		return "active"
	case authAPIKey:
		for _, f := range e.ConfigFields {
			if !f.Required {
				continue
			}
			if s, ok := config[f.Name].(string); !ok || strings.TrimSpace(s) == "" {
				return "pending"
			}
		}
		return "active"
	case authOAuth:
		if h.connected[e.Provider] {
			return "active"
		}
		if current != "" {
			return current
		}
		return "pending"
	}
	return current
}

// merge applies a shallow patch to config: a key set to null is deleted, any other value replaces.
func merge(config, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(config, k)
		} else {
			config[k] = v
		}
	}
}

func notInstalled(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, codeNotFound, fmt.Sprintf("integration '%s' is not installed", id))
}

// installRoutes are the routes of installed integrations.
func (h *Handler) installRoutes() []route {
	return []route{
		{http.MethodGet, "/agent/integrations", h.listInstalls},
		{http.MethodPost, "/agent/integrations", h.createInstall},
		{http.MethodGet, "/agent/integrations/{id}/config", h.getConfig},
		{http.MethodPatch, "/agent/integrations/{id}", h.patchInstall},
		{http.MethodDelete, "/agent/integrations/{id}", h.deleteInstall},
	}
}

// listInstalls serves GET /agent/integrations: every install record, sorted by integration id.
func (h *Handler) listInstalls(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	records := make([]installRecord, 0, len(h.installs))
	for _, in := range h.installs {
		records = append(records, in.record())
	}
	h.mu.Unlock()
	sort.Slice(records, func(i, j int) bool { return records[i].IntegrationID < records[j].IntegrationID })
	writeData(w, http.StatusOK, records)
}

// createInstall serves POST /agent/integrations.
func (h *Handler) createInstall(w http.ResponseWriter, r *http.Request) {
	fields, ok := readObject(w, r)
	if !ok {
		return
	}
	id, present, err := stringField(fields, "integrationId")
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if !present || id == "" {
		badRequest(w, "field 'integrationId' is required; see GET /integrations/registry")
		return
	}
	entry := h.reg.byID[id]
	if entry == nil {
		badRequest(w, fmt.Sprintf("unknown integration '%s'; see GET /integrations/registry", id))
		return
	}
	version, present, err := stringField(fields, "version")
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if !present || version == "" {
		version = entry.Version
	}
	if !contains(entry.Versions, version) {
		badRequest(w, fmt.Sprintf("unknown version '%s' of integration '%s'; available versions: %s",
			version, id, strings.Join(entry.Versions, ", ")))
		return
	}
	given, _, err := objectField(fields, "config")
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	config := entry.defaultConfig()
	merge(config, given)

	h.mu.Lock()
	if _, exists := h.installs[id]; exists {
		h.mu.Unlock()
		writeError(w, http.StatusConflict, codeConflict, fmt.Sprintf("integration '%s' is already installed; use PATCH /agent/integrations/%s to change its config", id, id))
		return
	}
	now := h.now().UTC()
	in := &install{entry: entry, version: version, config: config, installedAt: now, updatedAt: now}
	in.status = h.evaluateStatus(entry, config, "")
	h.installs[id] = in
	rec := in.record()
	h.mu.Unlock()
	writeData(w, http.StatusCreated, rec)
}

// getConfig serves GET /agent/integrations/{id}/config.
func (h *Handler) getConfig(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h.mu.Lock()
	in := h.installs[id]
	var rec configRecord
	if in != nil {
		rec = configRecord{IntegrationID: id, Config: in.maskedConfig()}
	}
	h.mu.Unlock()
	if in == nil {
		notInstalled(w, id)
		return
	}
	writeData(w, http.StatusOK, rec)
}

// patchInstall serves PATCH /agent/integrations/{id}: a shallow merge into the config.
func (h *Handler) patchInstall(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h.mu.Lock()
	_, exists := h.installs[id]
	h.mu.Unlock()
	if !exists {
		notInstalled(w, id)
		return
	}
	fields, ok := readObject(w, r)
	if !ok {
		return
	}
	patch, present, err := objectField(fields, "config")
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if !present {
		badRequest(w, "field 'config' is required and must be a JSON object")
		return
	}

	h.mu.Lock()
	in := h.installs[id]
	if in == nil { // removed while the body was read
		h.mu.Unlock()
		notInstalled(w, id)
		return
	}
	merge(in.config, patch)
	in.status = h.evaluateStatus(in.entry, in.config, in.status)
	in.updatedAt = h.now().UTC()
	rec := in.record()
	h.mu.Unlock()
	writeData(w, http.StatusOK, rec)
}

// deleteInstall serves DELETE /agent/integrations/{id}. The provider connection, if any, is kept:
// it belongs to the agent's provider account, not to the install.
func (h *Handler) deleteInstall(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h.mu.Lock()
	_, exists := h.installs[id]
	delete(h.installs, id)
	h.mu.Unlock()
	if !exists {
		notInstalled(w, id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
