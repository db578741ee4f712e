CREATE TABLE "workspace_quotas" (
	"workspace_id" text PRIMARY KEY NOT NULL,
	"tasks_per_day" integer,
	"concurrent_runs" integer,
	"monthly_budget_usd" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workspace_quotas" ADD CONSTRAINT "workspace_quotas_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;