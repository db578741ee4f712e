CREATE TABLE "workspace_safety_policies" (
	"workspace_id" text PRIMARY KEY NOT NULL,
	"protected_paths" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"max_files_changed" integer,
	"refused_commands" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workspace_safety_policies" ADD CONSTRAINT "workspace_safety_policies_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;