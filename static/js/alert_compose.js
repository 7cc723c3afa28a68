/* Torget alerts, staff side: the area map and the SMS counter of the compose page.
 *
 * Everything here has a server-side equivalent that works without JavaScript:
 * - the map (Leaflet and Leaflet.draw, served from the django-leaflet package) writes the drawn
 *   polygon as GeoJSON into the area field, where staff can also type "latitude, longitude"
 *   lines; the server checks the area either way. Typed corners are drawn on the map;
 * - the choice of area (map, zone, addresses) shows only the fields of that choice;
 * - the SMS length is asked of the server as one types; the preview page shows it anyway.
 * No inline script or style anywhere (CSP: script-src 'self', style-src 'self').
 */
(function () {
  "use strict";

  function jsonData(id) {
    var element = document.getElementById(id);
    if (!element) {
      return null;
    }
    try {
      return JSON.parse(element.textContent);
    } catch (error) {
      return null;
    }
  }

  /* --- the area: GeoJSON or "lat, lon" lines ----------------------------------------------- */

  var PAIR = /^\s*(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)\s*$/;

  // A GeoJSON geometry from what the field holds, or null when it is not readable (the server
  // says why when the form is sent).
  function geometryFromText(text) {
    text = (text || "").trim();
    if (!text) {
      return null;
    }
    if (text.charAt(0) === "{") {
      try {
        var value = JSON.parse(text);
        if (value && value.type === "Feature") {
          value = value.geometry;
        }
        return value && (value.type === "Polygon" || value.type === "MultiPolygon") ? value : null;
      } catch (error) {
        return null;
      }
    }
    var polygons = [[]];
    var lines = text.split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      if (!lines[i].trim()) {
        if (polygons[polygons.length - 1].length) {
          polygons.push([]);
        }
        continue;
      }
      var match = PAIR.exec(lines[i]);
      if (!match) {
        return null;
      }
      polygons[polygons.length - 1].push([parseFloat(match[2]), parseFloat(match[1])]);
    }
    var rings = polygons
      .filter(function (ring) {
        return ring.length >= 3;
      })
      .map(function (ring) {
        var first = ring[0];
        var last = ring[ring.length - 1];
        return first[0] === last[0] && first[1] === last[1] ? ring : ring.concat([first]);
      });
    if (!rings.length) {
      return null;
    }
    if (rings.length === 1) {
      return { type: "Polygon", coordinates: [rings[0]] };
    }
    return {
      type: "MultiPolygon",
      coordinates: rings.map(function (ring) {
        return [ring];
      }),
    };
  }

  function round(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  // The drawn layers as one GeoJSON geometry (a Polygon, or a MultiPolygon for several).
  function geometryFromLayers(group) {
    var polygons = [];
    group.eachLayer(function (layer) {
      var geometry = layer.toGeoJSON().geometry;
      var list = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
      list.forEach(function (polygon) {
        polygons.push([
          polygon[0].map(function (point) {
            return [round(point[0]), round(point[1])];
          }),
        ]);
      });
    });
    if (!polygons.length) {
      return null;
    }
    return polygons.length === 1
      ? { type: "Polygon", coordinates: polygons[0] }
      : { type: "MultiPolygon", coordinates: polygons };
  }

  function drawTexts(texts) {
    var draw = window.L.drawLocal.draw;
    draw.toolbar.buttons.polygon = texts.draw;
    draw.toolbar.actions = { title: texts.cancelTitle, text: texts.cancel };
    draw.toolbar.finish = { title: texts.finishTitle, text: texts.finish };
    draw.toolbar.undo = { title: texts.undoTitle, text: texts.undo };
    draw.handlers.polygon.tooltip = { start: texts.start, cont: texts.cont, end: texts.end };
    draw.handlers.polyline.error = texts.crossing;
    var edit = window.L.drawLocal.edit;
    edit.toolbar.buttons = {
      edit: texts.edit,
      editDisabled: texts.editDisabled,
      remove: texts.remove,
      removeDisabled: texts.removeDisabled,
    };
    edit.toolbar.actions = {
      save: { title: texts.saveTitle, text: texts.save },
      cancel: { title: texts.cancelTitle, text: texts.cancel },
      clearAll: { title: texts.clearAll, text: texts.clearAll },
    };
    edit.handlers.edit.tooltip = { text: texts.editTip, subtext: texts.editSubtip };
    edit.handlers.remove.tooltip = { text: texts.removeTip };
  }

  var SHAPE_STYLE = { color: "#0062ba", weight: 3, fillOpacity: 0.15 };
  var ZONE_STYLE = { color: "#1e2b3c", weight: 2, dashArray: "6 4", fillOpacity: 0.08 };

  function areaMap(container) {
    var L = window.L;
    if (!L || !L.Control || !L.Control.Draw) {
      return;
    }
    var readonly = container.hasAttribute("data-readonly");
    var form = container.closest("form");
    var field = form ? form.querySelector("[data-area-field]") : null;
    if (!readonly && !field) {
      return;
    }
    var canvas = container.querySelector("[data-area-map-canvas]");
    var status = container.querySelector("[data-area-map-status]");
    var texts = jsonData("area-map-texts") || {};
    container.hidden = false;

    var map = L.map(canvas, { scrollWheelZoom: false, zoomControl: false });
    L.control
      .zoom({ zoomInTitle: texts.zoomIn || "+", zoomOutTitle: texts.zoomOut || "-" })
      .addTo(map);
    var tiles = container.getAttribute("data-tiles-url");
    if (tiles) {
      L.tileLayer(tiles, {
        attribution: container.getAttribute("data-tiles-attribution") || "",
        maxZoom: 19,
      }).addTo(map);
    }
    var bounds = jsonData("area-map-bounds");
    if (bounds && bounds.length === 2) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    } else {
      map.setView([65, 13], 4); // Norway
    }

    var drawn = new L.FeatureGroup().addTo(map);

    function show(geometry, fit) {
      drawn.clearLayers();
      if (!geometry) {
        return;
      }
      L.geoJSON(geometry, { style: SHAPE_STYLE }).eachLayer(function (layer) {
        // Leaflet.draw edits plain polygons; GeoJSON gives those for Polygon rings.
        drawn.addLayer(layer);
      });
      if (fit && drawn.getLayers().length) {
        map.fitBounds(drawn.getBounds(), { padding: [24, 24], maxZoom: 17 });
      }
    }

    if (readonly) {
      show(jsonData("area-map-shape"), true);
      return;
    }

    drawTexts(texts);
    map.addControl(
      new L.Control.Draw({
        position: "topleft",
        draw: {
          polygon: { allowIntersection: false, showArea: false, shapeOptions: SHAPE_STYLE },
          polyline: false,
          rectangle: false,
          circle: false,
          marker: false,
          circlemarker: false,
        },
        edit: { featureGroup: drawn, remove: true },
      })
    );

    function write() {
      var geometry = geometryFromLayers(drawn);
      field.value = geometry ? JSON.stringify(geometry) : "";
      field.dispatchEvent(new Event("input", { bubbles: true }));
      if (status) {
        status.textContent = geometry ? texts.drawn || "" : "";
      }
    }

    map.on(L.Draw.Event.CREATED, function (event) {
      drawn.clearLayers(); // one area: a new drawing replaces the old
      drawn.addLayer(event.layer);
      write();
    });
    map.on(L.Draw.Event.EDITED, write);
    map.on(L.Draw.Event.DELETED, write);
    field.addEventListener("change", function () {
      show(geometryFromText(field.value), true);
    });
    show(geometryFromText(field.value), !!field.value.trim());

    // The chosen zone, shown for orientation.
    var zones = jsonData("area-map-zones");
    var select = form.querySelector("select[name=zone]");
    var zoneLayer = null;
    function showZone() {
      if (zoneLayer) {
        map.removeLayer(zoneLayer);
        zoneLayer = null;
      }
      var area = zones && select && zones[select.value];
      if (area) {
        zoneLayer = L.geoJSON(area, { style: ZONE_STYLE, interactive: false }).addTo(map);
        map.fitBounds(zoneLayer.getBounds(), { padding: [24, 24], maxZoom: 16 });
      }
    }
    if (select && zones) {
      select.addEventListener("change", showZone);
      showZone();
    }

    // A map laid out while hidden has no size; measure it again when it is shown.
    container.addEventListener("torget:shown", function () {
      map.invalidateSize();
    });
  }

  /* --- which way the area is given --------------------------------------------------------- */

  function areaChoice(form) {
    var radios = form.querySelectorAll("input[name=area_source]");
    var parts = form.querySelectorAll("[data-area-choice]");
    if (!radios.length || !parts.length) {
      return;
    }
    function update() {
      var chosen = form.querySelector("input[name=area_source]:checked");
      var value = chosen ? chosen.value : "drawn";
      Array.prototype.forEach.call(parts, function (part) {
        var shown = part.getAttribute("data-area-choice") === value;
        part.hidden = !shown;
        var map = part.querySelector("[data-area-map]");
        if (shown && map) {
          map.dispatchEvent(new Event("torget:shown"));
        }
      });
    }
    Array.prototype.forEach.call(radios, function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  /* --- the SMS length as one types --------------------------------------------------------- */

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  function smsCounter(form) {
    var counter = form.querySelector("[data-sms-counter]");
    var url = counter ? counter.getAttribute("data-url") : "";
    var frame = jsonData("sms-frame");
    var live = counter ? counter.querySelector("[data-sms-counter-live]") : null;
    if (!counter || !url || !frame || !live || !window.fetch || !window.FormData) {
      return;
    }
    var title = form.querySelector("[name=title]");
    var text = form.querySelector("[name=text]");
    var phone = form.querySelector("[name=contact_phone]");
    var token = form.querySelector("[name=csrfmiddlewaretoken]");
    var timer = null;
    var asked = 0;

    // The SMS as sent: the frame made by the server with the typed words put in.
    function message() {
      return frame
        .split("\n")
        .filter(function (line) {
          return line.indexOf("\u0001phone\u0001") === -1 || (phone && phone.value.trim());
        })
        .map(function (line) {
          return line
            .replace("\u0001title\u0001", title ? title.value.trim() : "")
            .replace("\u0001text\u0001", text ? text.value.trim() : "")
            .replace("\u0001phone\u0001", phone ? phone.value.trim() : "");
        })
        .filter(function (line) {
          return line.trim() !== "";
        })
        .join("\n");
    }

    function ask() {
      var body = new FormData();
      body.append("text", message());
      var number = ++asked;
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (length) {
          if (!length || number !== asked) {
            return; // a later question is on its way
          }
          var key = length.segments === 1 ? "data-one" : "data-many";
          var words = format(counter.getAttribute(key) || "", length);
          if (length.too_long) {
            words += " " + (counter.getAttribute("data-too-long") || "");
          }
          live.textContent = words;
          live.classList.toggle("field-error", !!length.too_long);
        })
        .catch(function () {
          /* offline for a moment: the preview counts anyway */
        });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 300);
    }

    [title, text, phone].forEach(function (input) {
      if (input) {
        input.addEventListener("input", later);
      }
    });
    ask();
  }

  /* --- the error summary takes the focus, so it is read first ------------------------------ */

  function focusErrors() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-area-map]"), areaMap);
  Array.prototype.forEach.call(document.querySelectorAll("form[data-alert-form]"), function (form) {
    areaChoice(form);
    smsCounter(form);
  });
  focusErrors();
})();
