CREATE TABLE "vercel_connections" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text,
	"workspace_id" text,
	"sealed_token" text NOT NULL,
	"team_id" text,
	"account_id" text NOT NULL,
	"username" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vercel_connections_one_owner" CHECK (("vercel_connections"."user_id" is null) <> ("vercel_connections"."workspace_id" is null))
);
--> statement-breakpoint
CREATE TABLE "vercel_deployments" (
	"id" text PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"repo_id" text NOT NULL,
	"project_id" text NOT NULL,
	"commit_sha" text NOT NULL,
	"vercel_id" text,
	"url" text,
	"state" text NOT NULL,
	"error_message" text,
	"target" text NOT NULL,
	"action" text,
	"source_id" text,
	"events_since" bigint,
	"requested_by" text,
	"requested_at" timestamp with time zone,
	"approved_by" text,
	"approved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vercel_links" (
	"repo_id" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"project_id" text NOT NULL,
	"project_name" text NOT NULL,
	"git_provider" text,
	"git_repo" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "vercel_connections" ADD CONSTRAINT "vercel_connections_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vercel_connections" ADD CONSTRAINT "vercel_connections_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vercel_connections" ADD CONSTRAINT "vercel_connections_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vercel_deployments" ADD CONSTRAINT "vercel_deployments_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vercel_deployments" ADD CONSTRAINT "vercel_deployments_repo_id_repositories_id_fk" FOREIGN KEY ("repo_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vercel_deployments" ADD CONSTRAINT "vercel_deployments_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vercel_deployments" ADD CONSTRAINT "vercel_deployments_approved_by_users_id_fk" FOREIGN KEY ("approved_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vercel_links" ADD CONSTRAINT "vercel_links_repo_id_repositories_id_fk" FOREIGN KEY ("repo_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vercel_links" ADD CONSTRAINT "vercel_links_connection_id_vercel_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."vercel_connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vercel_links" ADD CONSTRAINT "vercel_links_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "vercel_connections_user_idx" ON "vercel_connections" USING btree ("user_id") WHERE "vercel_connections"."user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "vercel_connections_workspace_idx" ON "vercel_connections" USING btree ("workspace_id") WHERE "vercel_connections"."workspace_id" is not null;--> statement-breakpoint
CREATE INDEX "vercel_deployments_task_idx" ON "vercel_deployments" USING btree ("task_id","created_at");--> statement-breakpoint
CREATE INDEX "vercel_deployments_project_idx" ON "vercel_deployments" USING btree ("project_id","target","created_at");