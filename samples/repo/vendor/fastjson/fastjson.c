/*
 * Copyright 2019 The Fastjson Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#include <stddef.h>

/* Skip JSON whitespace; returns a pointer to the first non-space char. */
const char *fj_skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* Count top-level elements in a JSON array such as "[1, [2, 3], 4]". */
size_t fj_count_items(const char *p)
{
    size_t commas = 0;
    int depth = 0, seen = 0;

    p = fj_skip_ws(p);
    if (*p != '[')
        return 0;
    for (p = fj_skip_ws(p + 1); *p && !(depth == 0 && *p == ']'); p++) {
        seen = 1;
        if (*p == '[' || *p == '{')
            depth++;
        else if (*p == ']' || *p == '}')
            depth--;
        else if (*p == ',' && depth == 0)
            commas++;
    }
    return seen ? commas + 1 : 0;
}
