package signup

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/tenants/billing"
)

func problem(c *gin.Context, err error) { httpapi.WriteProblem(c, err) }

// decodeJSON reads a small JSON object (at most 64 KiB) with the API's
// strict decoder. The body must be declared application/json, which neither
// a form on another site nor a script's simple request can send.
func decodeJSON(c *gin.Context, v any) error {
	if c.ContentType() != "application/json" {
		return &core.Error{Code: core.EINVALID, Message: "error.send_json",
			Fields: core.FieldErrors{"Content-Type": core.M("error.must_json")}}
	}
	return httpapi.DecodeJSON(c, v, 64<<10)
}

// apiSlug answers whether a slug can be signed up for:
// {available, reason, message}.
func (h *Handler) apiSlug(c *gin.Context) {
	slug := strings.ToLower(strings.TrimSpace(c.Query("slug")))
	ok, why, err := h.Billing.SlugAvailable(c.Request.Context(), slug)
	if err != nil {
		problem(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"slug": slug, "available": ok, "reason": slugReason[why], "message": i18n.Text(lang(c.Request), why, nil)})
}

func (h *Handler) apiPlans(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"billing": h.Billing.Enabled(), "plans": h.Billing.Config().Plans})
}

// apiSignup is the signup for API clients. The answer holds Stripe's
// checkout URL (billing on); the administrator receives the confirmation
// link by e-mail.
func (h *Handler) apiSignup(c *gin.Context) {
	var in billing.SignupInput
	if err := decodeJSON(c, &in); err != nil {
		problem(c, err)
		return
	}
	s, err := h.Billing.Signup(c.Request.Context(), in, baseURL(c.Request))
	if err != nil {
		problem(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"slug": s.Slug, "status": s.Status, "checkout_url": s.CheckoutURL,
		"status_url": "/signup/api/status/" + s.Slug})
}

// apiConfirm takes {"token"} of the confirmation e-mail and answers the
// admin's one-time set-password URL.
func (h *Handler) apiConfirm(c *gin.Context) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(c, &in); err != nil {
		problem(c, err)
		return
	}
	s, err := h.Billing.Confirm(c.Request.Context(), in.Token)
	if err != nil {
		problem(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"slug": s.Slug, "status": s.Status, "status_url": "/signup/api/status/" + s.Slug,
		"set_password_url": billing.InviteURL(s.Slug, s.SetPasswordToken)})
}

func (h *Handler) apiStatus(c *gin.Context) {
	st, err := h.Billing.Status(c.Request.Context(), c.Param("slug"))
	if err != nil {
		problem(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, st)
}

// webhook takes Stripe's events. The signature is checked on the raw body;
// a bad one is a 400 and changes nothing, a failure to apply is a 500 so
// Stripe delivers the event again.
func (h *Handler) webhook(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 1<<20))
	if err != nil {
		problem(c, &core.Error{Code: core.EINVALID, Message: "error.body_unreadable"})
		return
	}
	out, err := h.Billing.HandleWebhook(c.Request.Context(), body, c.GetHeader("Stripe-Signature"))
	if errors.Is(err, billing.ErrBadSignature) {
		// 400, as Stripe's documentation asks for an unverifiable event.
		b, _ := json.Marshal(httpapi.Problem{Type: "urn:opencity:problem:" + core.EINVALID,
			Title: http.StatusText(http.StatusBadRequest), Status: http.StatusBadRequest, Detail: err.Error(),
			Instance: c.Request.URL.Path, Errors: map[string]string{"Stripe-Signature": i18n.Text(httpapi.Lang(c), "error.checksum", nil)}})
		c.Data(http.StatusBadRequest, httpapi.ProblemJSON, b)
		c.Abort()
		return
	}
	if err != nil {
		problem(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"received": true, "id": out.EventID, "duplicate": out.Duplicate})
}

// slugReason is the machine-readable reason of an unavailable slug.
var slugReason = map[string]string{
	billing.MsgSlugShape: "invalid", billing.MsgSlugTaken: "taken", billing.MsgSlugReserved: "reserved",
}
