package store

import (
	"context"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// AddAttachment records a stored photo of a request the actor can see, with
// a history event.
func (s *Store) AddAttachment(ctx context.Context, a core.Actor, number string, att *core.Attachment) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r := new(core.Request)
		if err := scopeRequests(selectRequests(tx, r), a).Where("r.number = ?", number).Scan(ctx); err != nil {
			return notFound(err, "request")
		}
		ev := &core.RequestEvent{RequestID: r.ID, Kind: "photo", FromState: string(r.Status), ToState: string(r.Status),
			Comment: att.FileName, Public: att.Public, CreatedAt: att.CreatedAt}
		if a.UserID != 0 {
			id := a.UserID
			ev.ActorID, att.CreatedBy = &id, &id
		}
		if _, err := tx.NewInsert().Model(ev).Returning("id").Exec(ctx); err != nil {
			return err
		}
		att.RequestID, att.EventID = r.ID, &ev.ID
		_, err := tx.NewInsert().Model(att).Returning("id").Exec(ctx)
		return err
	})
}

// Attachments lists a request's photos; publicOnly for citizens.
func (s *Store) Attachments(ctx context.Context, requestID int64, publicOnly bool) (out []core.Attachment, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model(&out).Where("request_id = ?", requestID).Order("id")
		if publicOnly {
			q = q.Where("public")
		}
		return q.Scan(ctx)
	})
	return out, err
}

// Attachment returns one photo of a request the actor can see.
func (s *Store) Attachment(ctx context.Context, a core.Actor, number string, id int64) (*core.Attachment, error) {
	att := new(core.Attachment)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		visible := scopeRequests(tx.NewSelect().TableExpr("requests AS r").Column("r.id"), a).Where("r.number = ?", number)
		q := tx.NewSelect().Model(att).Where("id = ? AND request_id IN (?)", id, visible)
		if a.Role == core.RoleCitizen {
			q = q.Where("public")
		}
		return q.Scan(ctx)
	})
	return att, notFound(err, "photo")
}

// AllAttachments lists every photo of the city, by id, for maintenance
// (re-encoding photos stored before uploads were cleaned); it is not
// scoped to an actor and serves no request.
func (s *Store) AllAttachments(ctx context.Context) (out []core.Attachment, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&out).Order("id").Scan(ctx)
	})
	return out, err
}

// ReplaceAttachmentFile points photo id at new content: its SHA-256, type
// and size in bytes. A missing photo is core.ErrNotFound.
func (s *Store) ReplaceAttachmentFile(ctx context.Context, id int64, sha256, contentType string, size int64) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*core.Attachment)(nil)).
			Set("sha256 = ?", sha256).Set("content_type = ?", contentType).Set("size = ?", size).
			Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.ErrNotFound
		}
		return nil
	})
}
