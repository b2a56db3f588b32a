package apitest

import (
	"net/http"
	"net/url"
	"time"

	"github.com/opencity/opencity/core/mail/mailtest"
)

// ConfirmSignup confirms a signup through the signup API with the link
// mailed to email (caught by mp) and returns the admin's set-password link.
func (c *Client) ConfirmSignup(mp *mailtest.Mailpit, email string) string {
	c.T.Helper()
	link, err := url.Parse(mp.Link(c.T, email, c.Base+"/signup/confirm?token="))
	if err != nil {
		c.T.Fatal(err)
	}
	r := c.Call("POST", "/signup/api/confirm", "", map[string]string{"token": link.Query().Get("token")})
	if r.Status != http.StatusOK {
		c.T.Fatalf("confirm %s: %d %s", email, r.Status, r.Body)
	}
	return r.JSON(c.T)["set_password_url"].(string)
}

// WaitActive waits, up to a minute, until the signup API reports the city
// active.
func (c *Client) WaitActive(slug string) {
	c.T.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := c.Call("GET", "/signup/api/status/"+slug, "", nil)
		if r.Status == 200 && r.JSON(c.T)["status"] == "active" {
			return
		}
		if time.Now().After(deadline) {
			c.T.Fatalf("%s never became active: %d %s", slug, r.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
