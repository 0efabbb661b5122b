// Generates ./schema.d.ts from an OpenAPI JSON file with openapi-typescript, typing binary
// fields (photos) as Blob: the CLI types them as string, which no upload is.
// Usage: node generate.mjs openapi.json schema.d.ts
import fs from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const [input, output] = process.argv.slice(2);
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const NULL = ts.factory.createLiteralTypeNode(ts.factory.createNull());

const ast = await openapiTS(JSON.parse(fs.readFileSync(input, "utf8")), {
  transform(schemaObject) {
    if (schemaObject.format === "binary") {
      return schemaObject.nullable ? ts.factory.createUnionTypeNode([BLOB, NULL]) : BLOB;
    }
    return undefined;
  },
});
fs.writeFileSync(output, astToString(ast));
