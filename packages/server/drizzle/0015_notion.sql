CREATE TABLE "notion_connections" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text,
	"workspace_id" text,
	"method" text NOT NULL,
	"sealed_token" text NOT NULL,
	"bot_id" text NOT NULL,
	"notion_workspace_name" text,
	"notion_workspace_icon" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notion_connections_one_owner" CHECK (("notion_connections"."user_id" is null) <> ("notion_connections"."workspace_id" is null))
);
--> statement-breakpoint
CREATE TABLE "notion_mappings" (
	"id" text PRIMARY KEY NOT NULL,
	"connection_id" text NOT NULL,
	"database_id" text NOT NULL,
	"data_source_id" text,
	"repo_id" text NOT NULL,
	"base_branch" text,
	"status_property" text,
	"status_options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"pr_link_property" text,
	"preview_property" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_notion_links" (
	"task_id" text PRIMARY KEY NOT NULL,
	"connection_id" text,
	"page_id" text NOT NULL,
	"url" text NOT NULL,
	"title" text NOT NULL,
	"database_id" text NOT NULL,
	"data_source_id" text,
	"status" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "notion_connections" ADD CONSTRAINT "notion_connections_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notion_connections" ADD CONSTRAINT "notion_connections_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notion_connections" ADD CONSTRAINT "notion_connections_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notion_mappings" ADD CONSTRAINT "notion_mappings_connection_id_notion_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."notion_connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notion_mappings" ADD CONSTRAINT "notion_mappings_repo_id_repositories_id_fk" FOREIGN KEY ("repo_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_notion_links" ADD CONSTRAINT "task_notion_links_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_notion_links" ADD CONSTRAINT "task_notion_links_connection_id_notion_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."notion_connections"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notion_connections_user_idx" ON "notion_connections" USING btree ("user_id") WHERE "notion_connections"."user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "notion_connections_workspace_idx" ON "notion_connections" USING btree ("workspace_id") WHERE "notion_connections"."workspace_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "notion_mappings_connection_database_idx" ON "notion_mappings" USING btree ("connection_id","database_id");