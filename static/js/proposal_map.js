/* Torget participation: the maps of alternative proposals.
 *
 * - On the form to propose an alternative ([data-proposal-map]), a Leaflet map with
 *   Leaflet.draw where the resident draws one point, one line or one area. The drawing is
 *   written as GeoJSON into the drawing field ([data-drawing-field]), which stays visible: it
 *   also takes "latitude, longitude" lines typed by hand, and what is typed there is drawn on
 *   the map. The server checks the field either way (torget/participation/geometry.py).
 * - On a proposal's page (#proposal-map), its drawing on a small read-only map (GeoJSON from
 *   the json_script tag "proposal-geometry"). The page describes the drawing in words too.
 * Without JavaScript neither map is shown. No inline script or style (CSP).
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

  var SHAPE_STYLE = { color: "#0062ba", weight: 3, fillOpacity: 0.15 };
  var POINT_STYLE = { radius: 8, color: "#0062ba", weight: 3, fillOpacity: 0.5 };

  function round(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  /* What the field holds, as a GeoJSON geometry, or null when it is not readable (the server
     says why when the form is sent). The same syntax as the server's. */
  var PAIR = /^\s*(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)\s*$/;

  function geometryFromText(text) {
    text = (text || "").trim();
    if (!text) {
      return null;
    }
    if (text.charAt(0) === "{") {
      try {
        var value = JSON.parse(text);
        if (value && value.type === "FeatureCollection" && value.features && value.features.length === 1) {
          value = value.features[0];
        }
        if (value && value.type === "Feature") {
          value = value.geometry;
        }
        var ok = value && ["Point", "LineString", "Polygon"].indexOf(value.type) !== -1;
        return ok ? value : null;
      } catch (error) {
        return null;
      }
    }
    var points = [];
    var lines = text.split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      if (!lines[i].trim()) {
        continue;
      }
      var match = PAIR.exec(lines[i]);
      if (!match) {
        return null;
      }
      points.push([parseFloat(match[2]), parseFloat(match[1])]);
    }
    if (points.length === 1) {
      return { type: "Point", coordinates: points[0] };
    }
    var first = points[0];
    var last = points[points.length - 1];
    if (points.length >= 4 && first[0] === last[0] && first[1] === last[1]) {
      return { type: "Polygon", coordinates: [points] };
    }
    return { type: "LineString", coordinates: points };
  }

  function roundedGeometry(geometry) {
    if (geometry.type === "Point") {
      return { type: "Point", coordinates: geometry.coordinates.slice(0, 2).map(round) };
    }
    if (geometry.type === "LineString") {
      return {
        type: "LineString",
        coordinates: geometry.coordinates.map(function (p) {
          return [round(p[0]), round(p[1])];
        }),
      };
    }
    return {
      type: "Polygon",
      coordinates: geometry.coordinates.map(function (ring) {
        return ring.map(function (p) {
          return [round(p[0]), round(p[1])];
        });
      }),
    };
  }

  function layerFor(geometry) {
    return window.L.geoJSON(geometry, {
      style: SHAPE_STYLE,
      pointToLayer: function (feature, latlng) {
        return window.L.circleMarker(latlng, POINT_STYLE);
      },
    });
  }

  function baseMap(container, canvas, texts) {
    var L = window.L;
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
    return map;
  }

  /* --- the read-only map on a proposal's page ------------------------------------------------ */

  function readonlyMap(container) {
    var geometry = jsonData("proposal-geometry");
    if (!geometry || !window.L) {
      return;
    }
    container.hidden = false;
    var map = baseMap(container, container, {});
    var layer = layerFor(geometry).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 16 });
  }

  /* --- the drawing map on the form ----------------------------------------------------------- */

  function drawTexts(texts) {
    var draw = window.L.drawLocal.draw;
    draw.toolbar.buttons.polyline = texts.polyline;
    draw.toolbar.buttons.polygon = texts.polygon;
    draw.toolbar.buttons.circlemarker = texts.marker;
    draw.toolbar.actions = { title: texts.cancelTitle, text: texts.cancel };
    draw.toolbar.finish = { title: texts.finishTitle, text: texts.finish };
    draw.toolbar.undo = { title: texts.undoTitle, text: texts.undo };
    draw.handlers.circlemarker.tooltip = { start: texts.markerStart };
    draw.handlers.polyline.tooltip = { start: texts.lineStart, cont: texts.lineCont, end: texts.lineEnd };
    draw.handlers.polyline.error = texts.crossing;
    draw.handlers.polygon.tooltip = {
      start: texts.polygonStart,
      cont: texts.polygonCont,
      end: texts.polygonEnd,
    };
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

  function drawingMap(container) {
    var L = window.L;
    if (!L || !L.Control || !L.Control.Draw) {
      return;
    }
    var form = container.closest("form");
    var field = form ? form.querySelector("[data-drawing-field]") : null;
    var canvas = container.querySelector("[data-proposal-map-canvas]");
    var status = container.querySelector("[data-proposal-map-status]");
    if (!field || !canvas) {
      return;
    }
    var texts = jsonData("proposal-map-texts") || {};
    container.hidden = false;
    var map = baseMap(container, canvas, texts);
    var bounds = jsonData("proposal-map-bounds");
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
      layerFor(geometry).eachLayer(function (layer) {
        drawn.addLayer(layer);
      });
      if (fit && drawn.getLayers().length) {
        map.fitBounds(drawn.getBounds(), { padding: [24, 24], maxZoom: 16 });
      }
    }

    drawTexts(texts);
    map.addControl(
      new L.Control.Draw({
        position: "topleft",
        draw: {
          circlemarker: POINT_STYLE,
          polyline: { shapeOptions: SHAPE_STYLE },
          polygon: { allowIntersection: false, showArea: false, shapeOptions: SHAPE_STYLE },
          rectangle: false,
          circle: false,
          marker: false,
        },
        edit: { featureGroup: drawn, remove: true },
      })
    );

    // One drawing: the first layer of the group, as one GeoJSON geometry.
    function write(message) {
      var layers = drawn.getLayers();
      var geometry = layers.length ? roundedGeometry(layers[0].toGeoJSON().geometry) : null;
      field.value = geometry ? JSON.stringify(geometry) : "";
      if (status) {
        status.textContent = message || "";
      }
    }

    map.on(L.Draw.Event.CREATED, function (event) {
      drawn.clearLayers(); // one drawing: a new one replaces the old
      drawn.addLayer(event.layer);
      write(texts.drawn);
    });
    map.on(L.Draw.Event.EDITED, function () {
      write(texts.drawn);
    });
    map.on(L.Draw.Event.DELETED, function () {
      write(drawn.getLayers().length ? texts.drawn : texts.removed);
    });
    field.addEventListener("change", function () {
      show(geometryFromText(field.value), true);
    });
    show(geometryFromText(field.value), !!field.value.trim());
  }

  /* --- after a refused form the error summary takes the focus, so it is read first ---------- */

  function focusErrors() {
    var summary = document.querySelector(".error-summary");
    if (!summary) {
      return;
    }
    summary.focus();
    // A page reached at a #fragment (the form posts to its own section) scrolls there after
    // the scripts ran, and the browser lets go of the focus: take it again once loaded.
    window.addEventListener("load", function () {
      window.setTimeout(function () {
        summary.focus();
      }, 0);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-proposal-map]"), drawingMap);
  var readonly = document.getElementById("proposal-map");
  if (readonly) {
    readonlyMap(readonly);
  }
  focusErrors();
})();
