ALTER TABLE "tasks" ADD COLUMN "plan_mode" text DEFAULT 'off' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "plan" jsonb;--> statement-breakpoint
ALTER TABLE "usage" ADD COLUMN "phase" text DEFAULT 'code' NOT NULL;--> statement-breakpoint
ALTER TABLE "workspaces" ADD COLUMN "plan_mode" text DEFAULT 'off' NOT NULL;--> statement-breakpoint
CREATE INDEX "usage_task_idx" ON "usage" USING btree ("task_id");--> statement-breakpoint
UPDATE "usage" SET "phase" = 'title' WHERE "run_id" IS NULL;